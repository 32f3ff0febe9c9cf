import { Option } from 'commander';

/** `--json`: the command's result as one JSON document on stdout; progress lines move to
 * stderr so stdout stays parseable. */
export function jsonFlag(what = 'the result'): Option {
  return new Option('--json', `print ${what} as JSON on stdout (progress goes to stderr)`);
}

export function printJson(value: unknown): void {
  console.log(JSON.stringify(value, null, 2));
}

/** Where a command's progress lines go: stdout normally, stderr under --json. */
export function progressLog(json: boolean | undefined): (line: string) => void {
  return json ? (line) => console.error(line) : (line) => console.log(line);
}
