/** Extra volumes (`PodOptions.volumes`) in the fuzzers: described by data, their sources made in the chart. */
import { Chart } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { ExtraVolume, ExtraVolumeSource } from '../../src';

/** An extra volume as an arbitrary describes it: the referenced object is made in the chart. */
export interface FuzzedVolume {
  readonly name: string;
  readonly kind: 'secret' | 'configMap' | 'claim';
  readonly objectName: string;
  readonly mountPath: string;
  readonly readOnly?: boolean;
  readonly subPath?: string;
  readonly defaultMode?: number;
}

/** The extra volumes, with their Secrets, ConfigMaps and claims imported into `chart`. */
export function extraVolumes(chart: Chart, volumes: readonly FuzzedVolume[] | undefined): ExtraVolume[] | undefined {
  return volumes?.map((v, i) => {
    const source =
      v.kind === 'secret'
        ? ExtraVolumeSource.fromSecret(kplus.Secret.fromSecretName(chart, `VolumeSecret${i}`, v.objectName), v.defaultMode)
        : v.kind === 'configMap'
          ? ExtraVolumeSource.fromConfigMap(kplus.ConfigMap.fromConfigMapName(chart, `VolumeConfigMap${i}`, v.objectName), v.defaultMode)
          : ExtraVolumeSource.fromPersistentVolumeClaim(kplus.PersistentVolumeClaim.fromClaimName(chart, `VolumeClaim${i}`, v.objectName));
    return { name: v.name, source, mountPath: v.mountPath, readOnly: v.readOnly, subPath: v.subPath };
  });
}
