import { PropErrors } from './errors';

/**
 * Whether a string can reach a process: a NUL byte cannot be part of a command, an argument,
 * an environment value or a line of a configuration file a C program reads (it ends the string).
 */
export function isNulFree(value: string): boolean {
  return !value.includes('\u0000');
}

/**
 * Records a problem for each string (a single string, a list or the values of a map) that holds a
 * NUL byte; returns whether there was none. The prop names the element: `command[2]`,
 * `env.GREETING`.
 */
export function checkNoNul(
  errors: PropErrors,
  prop: string,
  value: string | readonly string[] | Readonly<Record<string, string>> | undefined,
): boolean {
  const rule = 'a string without NUL bytes (a process cannot receive one)';
  if (value === undefined || value === null) {
    return true;
  }
  if (typeof value === 'string') {
    return errors.check(isNulFree(value), prop, rule, value);
  }
  let ok = true;
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      ok = (typeof v !== 'string' || errors.check(isNulFree(v), `${prop}[${i}]`, rule, v)) && ok;
    });
    return ok;
  }
  for (const [k, v] of Object.entries(value)) {
    ok = errors.check(isNulFree(k), `${prop} key`, rule, k) && ok;
    ok = (typeof v !== 'string' || errors.check(isNulFree(v), `${prop}.${k}`, rule, v)) && ok;
  }
  return ok;
}
