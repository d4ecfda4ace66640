// Calls AWS with the JavaScript SDK v3's default credential chain only, so the suite can watch a real
// Node.js application use the agent. One client per service for the whole run.
// usage: node client.mjs sts | put <bucket> <key> | loop <seconds> <count> <action...>
// Each result is printed as one JSON line on stdout.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';

let signedKey;
/** Remembers the access key of the last signed request (from its Authorization header). */
const remember = (next) => async (args) => {
  const auth = args.request?.headers?.authorization ?? '';
  if (auth.includes('Credential=')) signedKey = auth.split('Credential=')[1].split('/')[0];
  return next(args);
};
const sts = new STSClient({});
const s3 = new S3Client({ forcePathStyle: true });
for (const c of [sts, s3]) c.middlewareStack.add(remember, { step: 'deserialize', name: 'signedKey' });

async function run(action) {
  const line = { sdk: 'js', action: action[0] };
  try {
    if (action[0] === 'sts') line.arn = (await sts.send(new GetCallerIdentityCommand({}))).Arn;
    else if (action[0] === 'put')
      await s3.send(
        new PutObjectCommand({ Bucket: action[1], Key: action[2], Body: 'written by the JS SDK v3' }),
      );
    else throw new Error(`unknown action ${action[0]}`);
    line.ok = true;
    line.accessKeyId = signedKey;
  } catch (e) {
    line.ok = false;
    line.error = `${e.name}: ${e.message}`;
  }
  line.at = new Date().toISOString();
  process.stdout.write(`${JSON.stringify(line)}\n`);
  return line.ok;
}

const args = process.argv.slice(2);
if (args.length === 0) {
  process.stderr.write('usage: client.mjs sts | put <bucket> <key> | loop <seconds> <count> <action...>\n');
  process.exit(2);
}
if (args[0] !== 'loop') {
  process.exitCode = (await run(args)) ? 0 : 1;
} else {
  const [seconds, count] = [Number(args[1]), Number(args[2])];
  for (let i = 0; i < count; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    await run(args.slice(3));
  }
}
