import { Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-27';
import { cpuInMillis, cpuToQuantity, sizeInKibibytes, sizeToQuantity } from '../../src/common/quantities';

describe('quantities', () => {
  test.each([
    [Size.gibibytes(2), '2Gi'],
    [Size.mebibytes(1536), '1536Mi'],
    [Size.mebibytes(512), '512Mi'],
    [Size.kibibytes(1000), '1000Ki'],
    [Size.tebibytes(1), '1Ti'],
    [Size.mebibytes(0), '0'],
  ])('%p is %p (sub-GiB sizes work, unlike cdk8s-plus-27 ephemeral storage)', (size, quantity) => {
    expect(sizeToQuantity(size)).toBe(quantity);
  });

  test('fractions of a KiB are refused', () => {
    expect(() => sizeToQuantity(Size.mebibytes(0.0001))).toThrow(/whole number of KiB/);
    expect(sizeInKibibytes(Size.mebibytes(1))).toBe(1024);
  });

  test.each([
    [Cpu.millis(250), 250, '250m'],
    [Cpu.units(1), 1000, '1'],
    [Cpu.units(1.5), 1500, '1500m'],
    [Cpu.millis(2000), 2000, '2'],
  ])('cpu %p', (cpu, millis, quantity) => {
    expect(cpuInMillis(cpu)).toBe(millis);
    expect(cpuToQuantity(cpu)).toBe(quantity);
  });

  test('sub-millicore cpu is refused', () => {
    expect(() => cpuToQuantity(Cpu.units(0.0005))).toThrow(/whole number of millicores/);
  });
});
