import {
  imagePinProblem,
  isConfigMapKey,
  isDigestPinned,
  isDnsLabel,
  isDnsSubdomain,
  isEnvVarName,
  isIngressHost,
  isPort,
  isPortName,
  parseImage,
} from '../../src/common/names';

const DIGEST = 'sha256:' + 'a'.repeat(64);

describe('Kubernetes name rules', () => {
  test.each([
    ['web', true],
    ['web-1', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['Web', false],
    ['-web', false],
    ['web-', false],
    ['web.shop', false],
    ['', false],
  ])('DNS-1123 label %p is %p', (value, ok) => {
    expect(isDnsLabel(value)).toBe(ok);
  });

  test.each([
    ['shop.example.com', true],
    ['shop', true],
    ['shop..example', false],
    ['Shop.example.com', false],
    [`${'a'.repeat(64)}.example.com`, false],
  ])('DNS-1123 subdomain %p is %p', (value, ok) => {
    expect(isDnsSubdomain(value)).toBe(ok);
  });

  test.each([
    ['shop.example.com', true],
    ['*.example.com', true],
    ['10.0.0.1', false],
    ['shop_example.com', false],
    ['*', false],
  ])('Ingress host %p is %p', (value, ok) => {
    expect(isIngressHost(value)).toBe(ok);
  });

  test.each([
    ['LOG_LEVEL', true],
    ['log.level', true],
    ['-x', true],
    ['1ABC', false],
    ['A B', false],
    ['', false],
  ])('env var name %p is %p', (value, ok) => {
    expect(isEnvVarName(value)).toBe(ok);
  });

  test.each([
    ['http', true],
    ['metrics-9187', true],
    ['1234', false],
    ['a--b', false],
    ['sixteen-chars-xx', false],
    ['HTTP', false],
  ])('port name %p is %p', (value, ok) => {
    expect(isPortName(value)).toBe(ok);
  });

  test('ports and ConfigMap keys', () => {
    expect(isPort(1)).toBe(true);
    expect(isPort(65535)).toBe(true);
    expect(isPort(0)).toBe(false);
    expect(isPort(8080.5)).toBe(false);
    expect(isConfigMapKey('postgresql.conf')).toBe(true);
    expect(isConfigMapKey('..')).toBe(false);
    expect(isConfigMapKey('a/b')).toBe(false);
  });
});

describe('image references', () => {
  test('parses registry, port, repository, tag and digest', () => {
    expect(parseImage('ghcr.io/acme/shop:1.4.2')).toEqual({ repository: 'ghcr.io/acme/shop', tag: '1.4.2', digest: undefined });
    expect(parseImage(`registry.local:5000/shop@${DIGEST}`)).toEqual({ repository: 'registry.local:5000/shop', tag: undefined, digest: DIGEST });
    expect(parseImage('postgres:15.10-bookworm')?.tag).toBe('15.10-bookworm');
    expect(parseImage('Shop:1')).toBeUndefined();
    expect(parseImage('shop:')).toBeUndefined();
  });

  test.each([
    ['nginx:1.27.0', undefined],
    [`nginx@${DIGEST}`, undefined],
    [`nginx:latest@${DIGEST}`, undefined],
    ['nginx', 'pinned with a tag or a digest (an untagged image means latest)'],
    ['nginx:latest', 'pinned with a tag other than latest or a digest'],
    ['not an image', 'a valid image reference (registry/repository:tag or @sha256:digest)'],
  ])('pin problem of %p', (image, problem) => {
    expect(imagePinProblem(image)).toBe(problem);
  });

  test('digest pinning decides the pull policy', () => {
    expect(isDigestPinned(`nginx@${DIGEST}`)).toBe(true);
    expect(isDigestPinned('nginx:1.27.0')).toBe(false);
  });
});
