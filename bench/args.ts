// The suites' own `--name=value` options (bench/main.ts passes every argument to every suite).

export function option(args: readonly string[], name: string): string | undefined {
  return args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

/** A whole-number option of at least `min`, or the suite's error naming it. */
export function countOption(args: readonly string[], suite: string, name: string, def: number, min = 1): number {
  const given = option(args, name);
  const v = given === undefined ? def : Number(given);
  if (!Number.isInteger(v) || v < min) throw new Error(`${suite} bench: --${name} must be a whole number >= ${min}, got '${given}'`);
  return v;
}
