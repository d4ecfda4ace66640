/**
 * `npm run demo`: the whole story of a pod writing to S3, on one machine. Every
 * step is printed in plain words; the process exits 0 only when the pod could write to its bucket
 * and was denied on another.
 */
import { isMotoAvailable } from '../test-support/moto.js';
import { boto3Put, jsClient, type PodEnvironment, writeTokenFile } from '../test-support/pod-clients.js';
import { usePrivateTmpdir } from '../test-support/private-tmpdir.js';
import { type Story, startStory } from '../test-support/story.js';

let stepNumber = 0;
function say(text: string): void {
  stepNumber++;
  console.log(`${String(stepNumber).padStart(2)}. ${text}`);
}

function fail(text: string): never {
  console.error(`\nDEMO FAILED: ${text}`);
  process.exit(1);
}

async function main(): Promise<void> {
  // Token files, pod homes and the key set go into one folder, removed when the demo exits.
  usePrivateTmpdir('pia-demo-');
  console.log('pod-identity-agent demo: a pod writes to S3 with no stored keys.\n');
  if (!(await isMotoAvailable())) {
    fail('python3 with moto and boto3 is needed: pip install "moto[server]==5.2.1" boto3 awscli');
  }
  let story: Story | undefined;
  try {
    story = await startStory({ onStep: say });
    const { agent, moto } = story;
    say(
      `The agent is ready: ${agent.url} (probes on 127.0.0.1:${agent.probePort}, metrics on 127.0.0.1:${agent.metricsPort})`,
    );

    say(
      'Minting the projected service-account token of pod s3-access-pod (namespace default, service account s3-access-sa, audience pods.eks.amazonaws.com)',
    );
    const tokenFile = writeTokenFile(await story.podToken());
    const pod: PodEnvironment = { credentialsUri: agent.url, tokenFile };
    say(
      'Running the pod: boto3 with nothing but AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
    );
    say(`  AWS_CONTAINER_CREDENTIALS_FULL_URI=${pod.credentialsUri}`);
    say(`  AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=${pod.tokenFile}`);

    const put = await boto3Put(pod, moto.endpoint, 'my-bucket', 'my-file', 'Hello World');
    if (!put.stdout.includes('method=container-role'))
      fail(`boto3 did not use the container credentials:\n${put.stdout}${put.stderr}`);
    if (!put.stdout.includes('put=ok')) fail(`put_object into my-bucket failed:\n${put.stdout}${put.stderr}`);
    say(
      'boto3 got credentials from the agent (method container-role) and wrote my-file = "Hello World" to my-bucket',
    );

    const denied = await boto3Put(pod, moto.endpoint, 'other-bucket', 'my-file', 'Hello World');
    if (!denied.stdout.includes('put=AccessDenied'))
      fail(`writing to other-bucket was not denied:\n${denied.stdout}${denied.stderr}`);
    say('The same pod was denied (AccessDenied) on other-bucket: the role allows my-bucket only');

    const js = await jsClient(pod, 'put', moto.endpoint, 'my-bucket', 'from-js', 'Hello from the JS SDK');
    if (!js.stdout.includes('put=ok')) fail(`the JS SDK could not write:\n${js.stdout}${js.stderr}`);
    say('The AWS SDK for JavaScript v3 (default credential chain) wrote to my-bucket too');

    say(
      `EKS Auth was called ${story.eksAuth.calls.success} time(s) for 3 client runs: the agent cached the credentials`,
    );
    const audit = agent.lines.filter((l) => l.includes('"credentials issued"')).length;
    say(
      `The agent wrote ${audit} audit line(s) (namespace, service account, pod, role, key id, expiry; never a secret)`,
    );
    console.log('\nDemo succeeded.');
  } finally {
    await story?.stop();
  }
}

main().catch((error: unknown) =>
  fail(error instanceof Error ? (error.stack ?? error.message) : String(error)),
);
