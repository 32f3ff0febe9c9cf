import type { Help, Option } from 'commander';

/**
 * Help text in one style for every command: a flag's default, fixed or worked out at run
 * time, reads `(default: X)`, never JSON-quoted; on/off flags show none; a flag that must
 * be given reads `(required)`.
 */
export const HELP_STYLE: Partial<Help> = {
  optionDescription(option: Option): string {
    const shown =
      option.defaultValueDescription ??
      (option.defaultValue !== undefined && !option.isBoolean() && !option.negate ? String(option.defaultValue) : undefined);
    if (option.mandatory) return `${option.description} (required)`;
    return shown === undefined ? option.description : `${option.description} (default: ${shown})`;
  },
  sortOptions: false,
};
