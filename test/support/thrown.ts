/** The message of what `fn` throws, or '' when it returns: for asserting whole error messages. */
export function thrownMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
  return '';
}
