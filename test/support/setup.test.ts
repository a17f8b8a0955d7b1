import { ApiObject, Testing } from 'cdk8s';

describe('the jest setup', () => {
  test('Testing.synth validates every object and fails on an invalid one', () => {
    const chart = Testing.chart();
    new ApiObject(chart, 'Bad', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'bad' }, dataa: { a: 'b' } } as any);
    expect(() => Testing.synth(chart)).toThrow(/ConfigMap bad:\n {4}unknown field "dataa"/);
  });

  test('Testing.synth returns valid objects unchanged', () => {
    const chart = Testing.chart();
    new ApiObject(chart, 'Good', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'good' }, data: { a: 'b' } });
    expect(Testing.synth(chart)).toEqual([{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'good' }, data: { a: 'b' } }]);
  });
});
