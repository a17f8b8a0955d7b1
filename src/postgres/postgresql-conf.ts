/**
 * postgresql.conf generation: the base file, values derived from the container's resources
 * (PGTune's web/OLTP formulas), the construct's own settings and the user's overrides, rendered
 * with every parameter exactly once so `pg_file_settings` shows no shadowed lines.
 */
import { POSTGRESQL_BASE_CONF } from './scripts/assets.generated';
import { PG15_PARAMETERS } from './parameter-names';

/** Parameters added after PostgreSQL 15, by the major version that added them. */
const ADDED: Record<number, readonly string[]> = {
  16: [
    'createrole_self_grant',
    'debug_io_direct',
    'debug_logical_replication_streaming',
    'debug_parallel_query',
    'gss_accept_delegation',
    'icu_validation_level',
    'max_parallel_apply_workers_per_subscription',
    'reserved_connections',
    'scram_iterations',
    'send_abort_for_crash',
    'send_abort_for_kill',
    'vacuum_buffer_usage_limit',
  ],
  17: [
    'allow_alter_system',
    'commit_timestamp_buffers',
    'enable_group_by_reordering',
    'event_triggers',
    'huge_pages_status',
    'io_combine_limit',
    'max_notify_queue_pages',
    'multixact_member_buffers',
    'multixact_offset_buffers',
    'notify_buffers',
    'serializable_buffers',
    'subtransaction_buffers',
    'summarize_wal',
    'sync_replication_slots',
    'synchronized_standby_slots',
    'trace_connection_negotiation',
    'transaction_buffers',
    'transaction_timeout',
    'wal_summary_keep_time',
  ],
};

/** Parameters removed after PostgreSQL 15, by the major version that removed them. */
const REMOVED: Record<number, readonly string[]> = {
  16: ['force_parallel_mode', 'promote_trigger_file', 'vacuum_defer_cleanup_age'],
  17: ['db_user_namespace', 'old_snapshot_threshold', 'trace_recovery_messages'],
};

/** Parameters the construct owns: setting them through `parameters` would break it. */
export const CONSTRUCT_OWNED_PARAMETERS: readonly string[] = [
  'config_file',
  'data_directory',
  'hba_file',
  'ident_file',
  'external_pid_file',
  'unix_socket_directories',
  'port',
  'listen_addresses',
  'archive_command',
  'archive_library',
  'restore_command',
  'primary_conninfo',
  'primary_slot_name',
  'ssl',
  'ssl_cert_file',
  'ssl_key_file',
  'ssl_ca_file',
  'synchronous_standby_names',
  'max_connections',
];

/** Whether `name` is a parameter PostgreSQL `version` accepts (extension parameters contain a dot). */
export function isKnownParameter(rawName: string, version: number): boolean {
  const name = typeof rawName === 'string' ? rawName.toLowerCase() : '';
  if (/^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_.]*$/.test(name)) {
    return true;
  }
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) {
    return false;
  }
  let known = PG15_PARAMETERS.includes(name);
  for (const [major, names] of Object.entries(ADDED)) {
    if (version >= Number(major) && names.includes(name)) {
      known = true;
    }
  }
  for (const [major, names] of Object.entries(REMOVED)) {
    if (version >= Number(major) && names.includes(name)) {
      known = false;
    }
  }
  if (version < 15) {
    // added in 15
    known = known && !['log_startup_progress_interval', 'recovery_prefetch', 'stats_fetch_consistency', 'archive_library'].includes(name);
  }
  return known;
}

/** What the derived settings are computed from. */
export interface TuningInputs {
  /** The container memory limit, in MiB. */
  readonly memoryMiB: number;
  /** The container CPU request, in cores (fractions allowed). */
  readonly cpus: number;
  /** max_connections. */
  readonly maxConnections: number;
  /** The data volume size, in MiB. */
  readonly storageMiB: number;
}

/** Memory in the largest unit PostgreSQL accepts that keeps it whole. */
function mem(kib: number): string {
  const k = Math.max(0, Math.floor(kib));
  if (k >= 1024 * 1024 && k % (1024 * 1024) === 0) {
    return `${k / (1024 * 1024)}GB`;
  }
  if (k >= 1024 && k % 1024 === 0) {
    return `${k / 1024}MB`;
  }
  return `${k}kB`;
}

/**
 * Settings derived from the container's memory limit, CPU request and volume size:
 * shared_buffers 25% and effective_cache_size 75% of the memory limit, work_mem from what is
 * left per connection, maintenance_work_mem 1/16 (at most 2GB), wal_buffers 3% of shared_buffers
 * (16MB at most), WAL sizes bounded by the volume, parallelism from the CPU request.
 */
export function tunedParameters(t: TuningInputs): Record<string, string> {
  const memKiB = t.memoryMiB * 1024;
  const sharedBuffersKiB = Math.floor(memKiB / 4 / 1024) * 1024;
  const cpus = Math.max(1, Math.ceil(t.cpus));
  const maxWorkerProcesses = Math.max(8, cpus);
  const workMemKiB = Math.max(4096, Math.floor((memKiB - sharedBuffersKiB) / ((t.maxConnections + maxWorkerProcesses) * 3)));
  let walBuffersKiB = Math.floor((sharedBuffersKiB * 3) / 100);
  if (walBuffersKiB > 14 * 1024) {
    walBuffersKiB = 16 * 1024;
  }
  walBuffersKiB = Math.max(64, Math.floor(walBuffersKiB / 8) * 8);
  const storageKiB = t.storageMiB * 1024;
  const maxWalKiB = Math.max(128 * 1024, Math.min(4 * 1024 * 1024, Math.floor(storageKiB / 4 / 1024) * 1024));
  const minWalKiB = Math.max(64 * 1024, Math.min(1024 * 1024, Math.floor(maxWalKiB / 4 / 1024) * 1024));
  const walKeepKiB = Math.max(64 * 1024, Math.min(512 * 1024, Math.floor(storageKiB / 20 / 1024) * 1024));
  const slotKeepKiB = Math.max(walKeepKiB, Math.floor(storageKiB / 5 / 1024) * 1024);
  const perGather = Math.min(4, Math.max(1, Math.floor(cpus / 2)));
  return {
    max_connections: String(t.maxConnections),
    shared_buffers: mem(sharedBuffersKiB),
    effective_cache_size: mem(Math.floor((memKiB * 3) / 4 / 1024) * 1024),
    work_mem: mem(workMemKiB),
    maintenance_work_mem: mem(Math.min(2 * 1024 * 1024, Math.floor(memKiB / 16 / 1024) * 1024)),
    wal_buffers: mem(walBuffersKiB),
    min_wal_size: mem(minWalKiB),
    max_wal_size: mem(maxWalKiB),
    wal_keep_size: mem(walKeepKiB),
    max_slot_wal_keep_size: mem(slotKeepKiB),
    max_worker_processes: String(maxWorkerProcesses),
    max_parallel_workers: String(Math.max(2, cpus)),
    max_parallel_workers_per_gather: String(perGather),
    max_parallel_maintenance_workers: String(perGather),
  };
}

/** A postgresql.conf value: single-quoted with quotes doubled, so any string is one value. */
export function confValue(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** One block of settings in the rendered file. */
export interface ConfSection {
  readonly title: string;
  readonly settings: Record<string, string>;
}

/**
 * Renders postgresql.conf: the base file with every setting that a later section overrides
 * replaced in place, then each section's remaining settings. Every parameter appears once.
 */
export function renderPostgresqlConf(sections: readonly ConfSection[]): string {
  const final = new Map<string, { value: string; source: string }>();
  for (const section of sections) {
    for (const [key, value] of Object.entries(section.settings)) {
      final.set(key, { value, source: section.title });
    }
  }
  const written = new Set<string>();
  const lines: string[] = [];
  for (const line of POSTGRESQL_BASE_CONF.split('\n')) {
    const m = /^([a-z_][a-z0-9_.]*)\s*=/.exec(line);
    if (m && final.has(m[1])) {
      const { value, source } = final.get(m[1])!;
      lines.push(`${m[1]} = ${confValue(value)}  # ${source}`);
      written.add(m[1]);
    } else {
      lines.push(line);
      if (m) {
        written.add(m[1]);
      }
    }
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  for (const section of sections) {
    const keys = Object.keys(section.settings).filter((k) => !written.has(k) && final.get(k)!.source === section.title);
    if (keys.length === 0) {
      continue;
    }
    lines.push('', `# ${section.title}`);
    for (const key of keys) {
      lines.push(`${key} = ${confValue(final.get(key)!.value)}`);
      written.add(key);
    }
  }
  return lines.join('\n') + '\n';
}
