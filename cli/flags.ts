/**
 * The one place where command-line strings become typed values. Every command builds its
 * flags with `flag()` and these parsers, so a bad value fails while the arguments are read
 * (before any file or GPU is touched) with one line that names the flag, and exits 2.
 */
import { Option } from 'commander';
import { UsageError } from './errors.js';

/** Turns the text after a flag into a typed value, or throws a message without the flag
 * (flag() adds it), e.g. "must be an integer >= 8, got 'abc'". */
export type Parser<T> = (value: string) => T;

class ParseError extends Error {}

/** An integer in [min, max]. */
export function int(min: number, max = Infinity): Parser<number> {
  return (v) => {
    const n = Number(v);
    if (!/^\s*[-+]?\d+\s*$/.test(v) || n < min || n > max) {
      throw new ParseError(max === Infinity ? `must be an integer >= ${min}, got '${v}'` : `must be an integer in ${min}..${max}, got '${v}'`);
    }
    return n;
  };
}

/** A finite number in [min, max], either end open when asked (e.g. a fraction below 1). */
export function num(min: number, max = Infinity, open: { min?: boolean; max?: boolean } = {}): Parser<number> {
  const range = `${open.min ? '(' : '['}${min}, ${max}${open.max || max === Infinity ? ')' : ']'}`;
  return (v) => {
    const n = Number(v);
    const ok = v.trim() !== '' && Number.isFinite(n) && (open.min ? n > min : n >= min) && (open.max ? n < max : n <= max);
    if (!ok) throw new ParseError(`must be a number in ${range}, got '${v}'`);
    return n;
  };
}

/** One of a fixed list. */
export function choice<T extends string>(choices: readonly T[]): Parser<T> {
  return (v) => {
    if (!(choices as readonly string[]).includes(v)) throw new ParseError(`must be one of ${choices.join(', ')}, got '${v}'`);
    return v as T;
  };
}

/** A non-empty string (paths, IDs): an empty value is a usage error, not "the current folder". */
export const text: Parser<string> = (v) => {
  if (v.trim() === '') throw new ParseError("must not be empty, got ''");
  return v;
};

/** A parser from a library check that throws (e.g. parseBlend): its message becomes the
 * flag's, minus the value it repeats. */
export function fromCheck<T>(check: (v: string) => T): Parser<T> {
  return (v) => {
    try {
      return check(v);
    } catch (e) {
      throw new ParseError((e as Error).message);
    }
  };
}

/** `--ids a b,c --ids d`: space- or comma-separated values, repeatable. */
export function list(): (v: string, previous: string[] | undefined) => string[] {
  return (v, previous) => [...(previous ?? []), ...v.split(',').map((s) => s.trim()).filter((s) => s !== '')];
}

export interface FlagSpec<T> {
  /** Commander's syntax: '--size <px>', '--ids <ids...>', '--force'. */
  flags: string;
  description: string;
  parse?: Parser<T>;
  /** The typed default, taken from the pipeline's own defaults constant, never restated. */
  default?: T;
  /** Shown as the default where the value is worked out at run time ("cores - 1"). */
  defaultText?: string;
  required?: boolean;
}

/**
 * A Commander option whose parser reports errors as `--flag: message` (exit 2). Help shows
 * every default the same way, `(default: X)` (help.ts).
 */
export function flag<T>(spec: FlagSpec<T>): Option {
  const o = new Option(spec.flags, spec.description);
  if (spec.required) o.makeOptionMandatory();
  const name = o.long ?? o.flags;
  if (spec.parse) {
    const parse = spec.parse;
    o.argParser((v: string) => {
      try {
        return parse(v);
      } catch (e) {
        if (e instanceof ParseError) throw new UsageError(`${name}: ${e.message}`);
        throw e;
      }
    });
  }
  if (spec.default !== undefined || spec.defaultText !== undefined) o.default(spec.default, spec.defaultText);
  return o;
}

/** A flag whose value is a list (`--ids <ids...>`). */
export function listFlag(flags: string, description: string): Option {
  return new Option(flags, description).argParser(list());
}
