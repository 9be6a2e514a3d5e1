import type { ColumnType, Generated, Selectable } from 'kysely';

/** numeric columns: pg returns them as strings (exact); we write decimal strings too. */
type Numeric = ColumnType<string, string | null, string | null>;
type NumericOpt = ColumnType<string | null, string | null | undefined, string | null>;
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface PrioritiesTable {
  id: Generated<number>;
  code: string;
  title: string;
  objectives: Json<string[]>;
  position: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MeasuresTable {
  id: Generated<number>;
  code: string;
  priority_id: number;
  report_number: string | null;
  title: string;
  polarity: 'higher' | 'lower' | 'range';
  unit: string | null;
  headline: boolean;
  frequency: 'quarterly' | 'biannual' | 'annual';
  reporting_quarter: number | null;
  cumulative: boolean;
  rolling12: boolean;
  trend_basis: 'previous_period' | 'same_period_last_year';
  management_info_only: boolean;
  equalities: boolean;
  survey: boolean;
  new_in_year: string | null;
  portfolio_holder: string | null;
  lead_officer: string | null;
  directorate: string | null;
  description: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface TargetsTable {
  measure_id: number;
  period_key: number;
  kind: 'value' | 'band' | 'rule';
  value: NumericOpt;
  min: NumericOpt;
  max: NumericOpt;
  rule: string | null;
  reason: string | null;
  revision: number;
  source: string;
  updated_at: Timestamp;
}

export interface RevisionsTable {
  measure_id: number;
  period_key: number;
  revision: number;
  snapshot: Json<Record<string, unknown>>;
  source: string;
  created_at: Timestamp;
}

export interface ReadingsTable {
  measure_id: number;
  period_key: number;
  value: NumericOpt;
  numerator: NumericOpt;
  denominator: NumericOpt;
  status: string | null;
  commentary: string | null;
  override_rag: string | null;
  override_reason: string | null;
  computed_rag: string | null;
  rag: string | null;
  rag_reason: string | null;
  variance: NumericOpt;
  trend: string | null;
  trend_period_key: number | null;
  trend_value: NumericOpt;
  revision: number;
  source: string;
  updated_at: Timestamp;
}

export interface ActionsTable {
  id: Generated<number>;
  code: string;
  priority_id: number;
  objective: string;
  title: string;
  directorates: Json<string[]>;
  leads: Json<string[]>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface ActionUpdatesTable {
  action_id: number;
  period_key: number;
  status: string;
  text: string;
  revision: number;
  source: string;
  updated_at: Timestamp;
}

export interface ActionUpdateRevisionsTable {
  action_id: number;
  period_key: number;
  revision: number;
  status: string;
  text: string;
  source: string;
  created_at: Timestamp;
}

export interface ApiKeysTable {
  id: Generated<number>;
  name: string;
  prefix: string;
  hash: string;
  scope: 'read' | 'write' | 'admin';
  created_at: Timestamp;
  expires_at: Date | null;
  revoked_at: Date | null;
}

export interface IdempotencyKeysTable {
  key_id: number;
  idempotency_key: string;
  request_hash: string;
  response_status: number | null;
  response_body: Json<unknown> | null;
  created_at: Timestamp;
}

export interface DB {
  priorities: PrioritiesTable;
  measures: MeasuresTable;
  targets: TargetsTable;
  target_revisions: RevisionsTable;
  readings: ReadingsTable;
  reading_revisions: RevisionsTable;
  actions: ActionsTable;
  action_updates: ActionUpdatesTable;
  action_update_revisions: ActionUpdateRevisionsTable;
  api_keys: ApiKeysTable;
  idempotency_keys: IdempotencyKeysTable;
}

export type MeasureRow = Selectable<MeasuresTable>;
export type ReadingRow = Selectable<ReadingsTable>;
export type TargetRow = Selectable<TargetsTable>;
export type { Numeric };
