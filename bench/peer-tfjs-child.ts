// The peer's own process: `node dist/bench/peer-tfjs-child.js '<PeerSpec as JSON>'`.
// Prints one line, PEER_RESULT_MARK + PeerResult as JSON, whatever tfjs printed before it,
// then exits (Dawn's instance would keep the process alive).
import { PEER_RESULT_MARK } from './peer-tfjs.js';
import { runPeer, type PeerResult, type PeerSpec } from './peer-tfjs-run.js';

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as PeerSpec;
  let result: PeerResult;
  try {
    result = await runPeer(spec);
  } catch (e) {
    result = { ok: false, spec, error: String((e as Error)?.message ?? e).split('\n')[0] };
  }
  process.stdout.write(`${PEER_RESULT_MARK}${JSON.stringify(result)}\n`, () => process.exit(0));
}

process.env.XDG_RUNTIME_DIR ??= '/tmp';
void main();
