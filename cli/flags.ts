// Commander argument parsers whose errors name the flag, so bad input is one clear line.
import { InvalidArgumentError } from 'commander';

export function intFlag(min: number): (v: string) => number {
  return (v) => {
    if (!/^-?\d+$/.test(v.trim()) || Number(v) < min) throw new InvalidArgumentError(`must be an integer >= ${min}, got '${v}'`);
    return Number(v);
  };
}

export function numberFlag(min: number, max = Infinity, maxInclusive = true): (v: string) => number {
  return (v) => {
    const n = Number(v);
    const ok = v.trim() !== '' && Number.isFinite(n) && n >= min && (maxInclusive ? n <= max : n < max);
    if (!ok) throw new InvalidArgumentError(`must be a number in [${min}, ${max}${maxInclusive ? ']' : ')'}, got '${v}'`);
    return n;
  };
}

export function choiceFlag<T extends string>(choices: readonly T[]): (v: string) => T {
  return (v) => {
    if (!(choices as readonly string[]).includes(v)) throw new InvalidArgumentError(`must be one of ${choices.join(', ')}, got '${v}'`);
    return v as T;
  };
}
