import type { Queryable } from '../../db/index.js';
import type { Features } from './schemas.js';

export interface PlanRow {
  id: string;
  name: string;
  display_name: string;
  monthly_amount: number | null;
  monthly_currency: string | null;
  yearly_amount: number | null;
  yearly_currency: string | null;
  yearly_savings: number | null;
  features: Features;
  custom_features: string[];
  recommended: boolean;
  category: string;
  status: 'active' | 'inactive';
  created_at: Date;
  updated_at: Date;
}

/** A plan as stored: amounts in minor units. */
export interface PlanValues {
  name: string;
  displayName: string;
  monthlyAmount: number | null;
  monthlyCurrency: string | null;
  yearlyAmount: number | null;
  yearlyCurrency: string | null;
  yearlySavings: number | null;
  features: Features;
  customFeatures: string[];
  recommended: boolean;
  category: string;
  status: 'active' | 'inactive';
}

const COLUMNS = `id, name, display_name, monthly_amount, monthly_currency, yearly_amount, yearly_currency, yearly_savings,
  features, custom_features, recommended, category, status, created_at, updated_at`;

function values(v: PlanValues): unknown[] {
  return [
    v.name,
    v.displayName,
    v.monthlyAmount,
    v.monthlyCurrency,
    v.yearlyAmount,
    v.yearlyCurrency,
    v.yearlySavings,
    JSON.stringify(v.features),
    JSON.stringify(v.customFeatures),
    v.recommended,
    v.category,
    v.status,
  ];
}

/** The only SQL for plans. A soft-deleted plan is invisible to every lookup here. */
export const plansRepository = {
  async insert(q: Queryable, v: PlanValues, now: Date): Promise<PlanRow> {
    const { rows } = await q.query<PlanRow>(
      `insert into plans (name, display_name, monthly_amount, monthly_currency, yearly_amount, yearly_currency, yearly_savings,
         features, custom_features, recommended, category, status, created_at, updated_at)
       values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) returning ${COLUMNS}`,
      [...values(v), now],
    );
    return rows[0]!;
  },

  async replace(q: Queryable, id: string, v: PlanValues, now: Date): Promise<PlanRow | null> {
    const { rows } = await q.query<PlanRow>(
      `update plans set name = $2, display_name = $3, monthly_amount = $4, monthly_currency = $5, yearly_amount = $6,
         yearly_currency = $7, yearly_savings = $8, features = $9, custom_features = $10, recommended = $11, category = $12,
         status = $13, updated_at = $14
       where id = $1 and deleted_at is null returning ${COLUMNS}`,
      [id, ...values(v), now],
    );
    return rows[0] ?? null;
  },

  /** Locks the plan row: read-modify-write updates (feature merges) of one plan take turns. */
  async findForUpdate(q: Queryable, id: string): Promise<PlanRow | null> {
    const { rows } = await q.query<PlanRow>(`select ${COLUMNS} from plans where id = $1 and deleted_at is null for update`, [id]);
    return rows[0] ?? null;
  },

  async findById(q: Queryable, id: string): Promise<PlanRow | null> {
    const { rows } = await q.query<PlanRow>(`select ${COLUMNS} from plans where id = $1 and deleted_at is null`, [id]);
    return rows[0] ?? null;
  },

  /** Including soft-deleted plans: a subscription keeps showing the plan it runs on. */
  async findAnyById(q: Queryable, id: string): Promise<PlanRow | null> {
    const { rows } = await q.query<PlanRow>(`select ${COLUMNS} from plans where id = $1`, [id]);
    return rows[0] ?? null;
  },

  async list(q: Queryable, f: { category?: string; status?: string; name?: string }): Promise<PlanRow[]> {
    const where = ['deleted_at is null'];
    const params: unknown[] = [];
    if (f.category) where.push(`lower(category) = lower($${params.push(f.category)})`);
    if (f.status) where.push(`status = $${params.push(f.status)}`);
    if (f.name) where.push(`lower(name) like $${params.push(`%${f.name.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`)}`);
    const { rows } = await q.query<PlanRow>(
      `select ${COLUMNS} from plans where ${where.join(' and ')} order by monthly_amount nulls last, yearly_amount nulls last, name`,
      params,
    );
    return rows;
  },

  async setStatus(q: Queryable, id: string, status: 'active' | 'inactive', now: Date): Promise<PlanRow | null> {
    const { rows } = await q.query<PlanRow>(
      `update plans set status = $2, updated_at = $3 where id = $1 and deleted_at is null returning ${COLUMNS}`,
      [id, status, now],
    );
    return rows[0] ?? null;
  },

  async softDelete(q: Queryable, id: string, now: Date): Promise<PlanRow | null> {
    const { rows } = await q.query<PlanRow>(
      `update plans set deleted_at = $2, status = 'inactive', updated_at = $2 where id = $1 and deleted_at is null returning ${COLUMNS}`,
      [id, now],
    );
    return rows[0] ?? null;
  },
};
