import { Duration, Size, Testing } from 'cdk8s';
import { Construct } from 'constructs';
import { cronScheduleProblem, checkCronSchedule } from '../../src/common/cron-schedule';
import { checkWholeMillis, checkWholeSeconds, describeDuration } from '../../src/common/duration-checks';
import { describeValue, PropErrors } from '../../src/common/errors';
import { checkInt32, checkInt64, INT32_MAX } from '../../src/common/number-ranges';
import { checkNoNul, isNulFree } from '../../src/common/process-strings';
import { checkSizeKib, checkSizeQuantity, MAX_QUANTITY_KIB } from '../../src/common/size-checks';
import { checkTimeZone, isTimeZone, timeZoneProblem } from '../../src/common/time-zone';
import { WebAppWithIngress, WebAppWithIngressProps } from '../../src';

const errorsFor = () => new PropErrors(new Construct(Testing.chart(), 'job'));
const messageOf = (errors: PropErrors): string => {
  try {
    errors.throwIfAny();
  } catch (e) {
    return (e as Error).message;
  }
  return '';
};

describe('cron schedules, as the CronJob controller parses them', () => {
  test.each([
    '* * * * *',
    '0 3 * * *',
    '*/15 * * * *',
    '0 0-23/2 * * *',
    '5,35 9-17 * * mon-fri',
    '0 0 1 jan,JUL ?',
    '59 23 31 12 6',
    '0 0 1-31/10 * *',
    '30 4 * * sun',
    '  0 3 * * *  ',
    '@daily',
    '@hourly',
    '@every 1h30m',
    '7/5 * * * *',
  ])('%p is accepted', (schedule) => {
    expect(cronScheduleProblem(schedule)).toBeUndefined();
  });

  test.each([
    ['99 * * * *', 'minute 99 is above 59'],
    ['*/0 * * * *', 'minute step in "*/0" must be positive'],
    ['0 24 * * *', 'hour 24 is above 23'],
    ['0 0 0 * *', 'day of month 0 is below 1'],
    ['0 0 32 * *', 'day of month 32 is above 31'],
    ['0 0 * 13 *', 'month 13 is above 12'],
    ['0 0 * * 7', 'day of week 7 is above 6'],
    ['0 0 * * funday', 'day of week value "funday" is not a number'],
    ['10-5 * * * *', 'minute range "10-5" starts after it ends'],
    ['1-2-3 * * * *', 'minute "1-2-3" has more than one "-"'],
    ['*/2/3 * * * *', 'minute "*/2/3" has more than one "/"'],
    ['-5 * * * *', 'minute value "" is not a number'],
    ['1,,2 * * * *', 'minute value "" is not a number'],
    ['0 0 * *', 'five fields (minute, hour, day of month, month, day of week), not 4'],
    ['0 0 0 * * *', 'five fields (minute, hour, day of month, month, day of week), not 6'],
    ['@fortnightly', 'a known descriptor'],
    ['@daily ', 'a known descriptor'],
    ['@every soon', '"@every " followed by one Go duration'],
    ['TZ=Europe/Paris 0 3 * * *', 'without TZ='],
    ['CRON_TZ=UTC 0 3 * * *', 'without TZ='],
    ['', 'a non-empty schedule'],
    ['1.5 * * * *', 'minute value "1.5" is not a number'],
    ['0x10 * * * *', 'minute value "0x10" is not a number'],
  ])('%p is refused: %s', (schedule, reason) => {
    expect(cronScheduleProblem(schedule)).toContain(reason);
  });

  test('the error names the construct path, the prop, the field rule and the value', () => {
    const errors = errorsFor();
    expect(checkCronSchedule(errors, 'schedule', '*/0 * * * *')).toBe(false);
    expect(messageOf(errors)).toBe(
      '[test/job] schedule must be a cron schedule the CronJob controller accepts (minute step in "*/0" must be positive), got "*/0 * * * *"',
    );
  });
});

describe('time zones, exactly as Go time.LoadLocation resolves them', () => {
  test.each(['Europe/Paris', 'Etc/UTC', 'UTC', 'America/Argentina/Buenos_Aires', 'US/Eastern', 'Asia/Kolkata', 'Asia/Calcutta', 'Etc/GMT+5'])(
    '%p is accepted',
    (zone) => {
      expect(timeZoneProblem(zone)).toBeUndefined();
      expect(isTimeZone(zone)).toBe(true);
    },
  );

  test.each([
    'europe/paris',
    'utc',
    'EUROPE/PARIS',
    'Europe/Pariss',
    'Local',
    'local',
    '',
    'Europe/../Paris',
    'Europe/Paris ',
    ' UTC',
    'Mars/Olympus_Mons',
    '-UTC',
  ])('%p is refused although Node Intl may accept it', (zone) => {
    expect(timeZoneProblem(zone)).toMatch(/^an IANA time zone name, exactly as spelled/);
  });

  test("Node accepts the lower-case spelling the API server refuses (why the list is Go's)", () => {
    expect(() => new Intl.DateTimeFormat('en-US', { timeZone: 'europe/paris' })).not.toThrow();
    expect(isTimeZone('europe/paris')).toBe(false);
  });

  test('the error names the prop and the value', () => {
    const errors = errorsFor();
    expect(checkTimeZone(errors, 'timeZone', 'utc')).toBe(false);
    expect(messageOf(errors)).toBe(
      '[test/job] timeZone must be an IANA time zone name, exactly as spelled (e.g. "Europe/Paris", "Etc/UTC"), got "utc"',
    );
  });
});

describe('int32 and int64 ranges', () => {
  test.each([0, 1, INT32_MAX])('%p fits int32', (v) => {
    expect(checkInt32(errorsFor(), 'replicas', v)).toBe(true);
  });

  test.each([2 ** 31, -1, 1.5, NaN, Infinity, '3' as unknown as number])('%p does not fit a non-negative int32', (v) => {
    const errors = errorsFor();
    expect(checkInt32(errors, 'replicas', v)).toBe(false);
    expect(messageOf(errors)).toBe(`[test/job] replicas must be an integer from 0 to ${INT32_MAX}, got ${describeValue(v)}`);
  });

  test('NaN is shown as NaN', () => {
    const errors = errorsFor();
    checkInt32(errors, 'replicas', NaN, 1, 10);
    expect(messageOf(errors)).toBe('[test/job] replicas must be an integer from 1 to 10, got NaN');
  });

  test('int64 accepts what JavaScript holds exactly and refuses the rest', () => {
    expect(checkInt64(errorsFor(), 'activeDeadlineSeconds', 2 ** 53 - 1)).toBe(true);
    const errors = errorsFor();
    expect(checkInt64(errors, 'activeDeadlineSeconds', 1e22)).toBe(false);
    expect(messageOf(errors)).toBe('[test/job] activeDeadlineSeconds must be an integer from 0 to 9007199254740991, got 1e+22');
  });
});

describe('sizes that stay Kubernetes quantities', () => {
  test('whole KiB become a quantity', () => {
    expect(checkSizeQuantity(errorsFor(), 'memory', Size.gibibytes(2))).toBe('2Gi');
    expect(checkSizeQuantity(errorsFor(), 'memory', Size.kibibytes(MAX_QUANTITY_KIB))).toBe(`${MAX_QUANTITY_KIB}Ki`);
  });

  test.each([
    [Size.gibibytes(1e30), '"1e+30Gi"'],
    [Size.kibibytes(MAX_QUANTITY_KIB + 2), '"9007199254742Ki"'],
    [Size.gibibytes(NaN), '"NaNGi"'],
    [Size.kibibytes(1.5), '"1.5Ki"'],
    [Size.kibibytes(0), '"0Ki"'],
  ])('%p is refused (exponent form, overflow, NaN, fractions of a KiB, zero)', (size, shown) => {
    const errors = errorsFor();
    expect(checkSizeQuantity(errors, 'storage', size)).toBeUndefined();
    expect(messageOf(errors)).toBe(`[test/job] storage must be a whole number of KiB from 1 to ${MAX_QUANTITY_KIB}, got ${shown}`);
  });

  test('a lower bound and a derived ceiling', () => {
    const errors = errorsFor();
    expect(checkSizeKib(errors, 'sharedBuffers', Size.mebibytes(1), 1024 * 8, 1024 ** 3)).toBeUndefined();
    expect(messageOf(errors)).toBe('[test/job] sharedBuffers must be a whole number of KiB from 8192 to 1073741824, got "1Mi"');
  });
});

describe('NUL bytes never reach a process', () => {
  test('strings, lists and maps', () => {
    expect(isNulFree('echo hi')).toBe(true);
    const errors = errorsFor();
    expect(checkNoNul(errors, 'command', ['sh', '-c', 'echo\u0000hi'])).toBe(false);
    expect(checkNoNul(errors, 'env', { GREETING: 'hi\u0000' })).toBe(false);
    expect(checkNoNul(errors, 'image', 'app\u0000:1')).toBe(false);
    expect(checkNoNul(errors, 'args', undefined)).toBe(true);
    expect(messageOf(errors)).toBe(
      [
        '[test/job] 3 invalid props:',
        '  - command[2] must be a string without NUL bytes (a process cannot receive one), got "echo\\u0000hi"',
        '  - env.GREETING must be a string without NUL bytes (a process cannot receive one), got "hi\\u0000"',
        '  - image must be a string without NUL bytes (a process cannot receive one), got "app\\u0000:1"',
      ].join('\n'),
    );
  });
});

describe('durations checked by us, errors from cdk8s wrapped with path and prop', () => {
  test('whole seconds', () => {
    expect(checkWholeSeconds(errorsFor(), 'terminationGracePeriod', Duration.seconds(30))).toBe(30);
    expect(checkWholeSeconds(errorsFor(), 'terminationGracePeriod', Duration.minutes(2))).toBe(120);
  });

  test.each([
    [Duration.millis(30500), '30500 millis'],
    [Duration.seconds(NaN), 'NaN seconds'],
    [Duration.days(100_000), '100000 days'],
    [Duration.seconds(1e22), '1e+22 seconds'],
  ])('%p is refused and shown as given', (d, shown) => {
    const errors = errorsFor();
    expect(checkWholeSeconds(errors, 'terminationGracePeriod', d, 1)).toBeUndefined();
    expect(messageOf(errors)).toBe(`[test/job] terminationGracePeriod must be a whole number of seconds from 1 to ${INT32_MAX}, got "${shown}"`);
  });

  test('milliseconds, and what cdk8s says when it cannot convert', () => {
    expect(checkWholeMillis(errorsFor(), 'ttl', Duration.seconds(2))).toBe(2000);
    const errors = errorsFor();
    expect(checkWholeMillis(errors, 'ttl', Duration.seconds(0.0005))).toBeUndefined();
    expect(messageOf(errors)).toMatch(/^\[test\/job\] ttl must be a whole number of milliseconds from 0 to 2147483647 \(.+\), got "0.0005 seconds"$/);
  });

  test('describeDuration shows NaN where toHumanString() shows nothing', () => {
    expect(Duration.seconds(NaN).toHumanString()).toBe('');
    expect(describeDuration(Duration.seconds(NaN))).toBe('NaN seconds');
  });
});

describe('describeValue', () => {
  test('NaN and infinities, also inside objects and lists', () => {
    expect(describeValue(NaN)).toBe('NaN');
    expect(describeValue({ replicas: NaN, limits: [Infinity, -Infinity, 1] })).toBe('{"replicas":NaN,"limits":[Infinity,-Infinity,1]}');
  });
});

describe('wired into WebAppWithIngress', () => {
  const web = (props: Partial<WebAppWithIngressProps>) => () =>
    new WebAppWithIngress(Testing.chart(), 'shop', { image: 'ghcr.io/acme/shop:1.4.2', host: 'shop.example.com', ...props });

  test('a NaN duration is shown as NaN, and a fraction of a second gets path and prop', () => {
    expect(web({ drainTimeout: Duration.seconds(NaN) })).toThrow(
      '[test/shop] drainTimeout must be a whole number of seconds from 0 to 3600, got "NaN seconds"',
    );
    expect(web({ preStopDelay: Duration.millis(30500) })).toThrow(
      '[test/shop] preStopDelay must be a whole number of seconds from 0 to 300, got "30500 millis"',
    );
  });

  test('NUL bytes in command, args and config values are refused', () => {
    expect(web({ command: ['/app', 'serve\u0000'] })).toThrow(
      '[test/shop] command[1] must be a string without NUL bytes (a process cannot receive one), got "serve\\u0000"',
    );
    expect(web({ args: ['--x=\u0000'] })).toThrow('args[0] must be a string without NUL bytes');
    expect(web({ config: { LOG_LEVEL: 'debug\u0000' } })).toThrow('config["LOG_LEVEL"] must be a string without NUL bytes');
    expect(web({ ingressAnnotations: { 'example.com/x': '\u0000' } })).toThrow(
      'ingressAnnotations["example.com/x"] must be a string without NUL bytes',
    );
  });

  test('replicas past int32 are refused with the range', () => {
    expect(web({ replicas: 2 ** 31 })).toThrow('[test/shop] replicas must be an integer from 1 to 2147483647, got 2147483648');
    expect(web({ canary: { image: 'ghcr.io/acme/shop:2.0.0', replicas: 2 ** 31 } })).toThrow(
      'canary.replicas must be an integer from 1 to 2147483647',
    );
  });
});
