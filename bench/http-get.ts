import { Agent, request } from 'node:http';

/** A whole answer of {@link httpGet}. */
export interface GetResult {
  readonly status: number;
  readonly body: Buffer;
}

/** A keep-alive agent without a socket limit, for the benchmark clients. */
export function keepAliveAgent(): Agent {
  return new Agent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY });
}

/**
 * The loopback source address of pod `index` (127.1.x.y): each simulated pod has its own address,
 * as on a node, so the agent's per-address rate limit sees pods, not one client.
 */
export function podAddress(index: number): string {
  return `127.1.${Math.floor(index / 250) % 250}.${(index % 250) + 1}`;
}

/** One GET with node:http (lighter than fetch, and it sends the headers exactly as given). */
export function httpGet(
  url: string,
  headers: Record<string, string> = {},
  agent?: Agent,
  localAddress?: string,
): Promise<GetResult> {
  return new Promise((resolve, reject) => {
    const options = {
      headers,
      ...(agent === undefined ? {} : { agent }),
      ...(localAddress === undefined ? {} : { localAddress }),
    };
    const req = request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject).end();
  });
}
