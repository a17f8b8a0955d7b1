/**
 * What the kubelet does to a container's command, args and env values before starting it
 * (`third_party/forked/golang/expansion` in Kubernetes): `$(NAME)` becomes the value of an
 * earlier-defined variable (left as is when undefined), `$$` becomes `$`, anything else is kept.
 * Tests use it to hand a process exactly what a real container would receive.
 */
export function kubeletExpand(input: string, env: Record<string, string>): string {
  let out = '';
  let checkpoint = 0;
  for (let cursor = 0; cursor < input.length; cursor++) {
    if (input[cursor] !== '$' || cursor + 1 >= input.length) {
      continue;
    }
    out += input.slice(checkpoint, cursor);
    const rest = input.slice(cursor + 1);
    let read: string;
    let advance: number;
    if (rest[0] === '$') {
      read = '$';
      advance = 1;
    } else if (rest[0] === '(') {
      const close = rest.indexOf(')', 1);
      if (close >= 0) {
        const name = rest.slice(1, close);
        read = name in env ? env[name] : `$(${name})`;
        advance = close + 1;
      } else {
        read = '$(';
        advance = 1;
      }
    } else {
      read = `$${rest[0]}`;
      advance = 1;
    }
    out += read;
    cursor += advance;
    checkpoint = cursor + 1;
  }
  return out + input.slice(checkpoint);
}
