/**
 * The Prometheus Operator ServiceMonitor of a web app, as a pure function of the resolved props.
 */
import { ServiceMonitorSpec, ServiceMonitorSpecEndpointsScheme } from '../imports/monitoring-servicemonitors-monitoring.coreos.com';
import type { ResolvedWebApp } from './resolve-props';

/**
 * Scrapes the metrics port of every Service the selector matches (the app's, its canary's too)
 * over plain HTTP.
 *
 * @param serviceSelector a label selector matching the app's Services
 */
export function serviceMonitorSpec(
  app: ResolvedWebApp,
  serviceSelector: { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> },
): ServiceMonitorSpec {
  const metrics = app.metrics!;
  return {
    endpoints: [
      {
        interval: `${metrics.intervalSeconds}s`,
        path: metrics.path,
        port: metrics.portName,
        scheme: ServiceMonitorSpecEndpointsScheme.HTTP,
      },
    ],
    selector: serviceSelector,
  };
}
