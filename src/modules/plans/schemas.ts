import { type Static, Type } from '@sinclair/typebox';
import { Matching, Name } from '../../http/schemas.js';

const Count = Type.Integer({ minimum: 0, maximum: 1_000_000 });
const Amount = Type.Number({ minimum: 0, maximum: 10_000_000 });
const Currency = Matching('^[A-Za-z]{3}$', 'must be a three-letter ISO 4217 currency code', { description: 'ISO 4217 code' });
/** shown on pricing pages and in subscribers' notifications: one visible line */
export const PlanName = Name({ maxLength: 100 });
const Label = Name({ maxLength: 100 });

/** The SocioX feature set. Every key is optional so a partial object can be merged in. */
export const FeaturesSchema = Type.Object(
  {
    socialAccounts: Type.Optional(
      Type.Object(
        { total: Type.Optional(Count), perPlatform: Type.Optional(Type.Record(Type.String({ maxLength: 50 }), Count)) },
        { additionalProperties: false },
      ),
    ),
    teamMembers: Type.Optional(Count),
    posting: Type.Optional(
      Type.Object(
        { postsPerDay: Type.Optional(Count), bulkScheduling: Type.Optional(Type.Boolean()), autoScheduling: Type.Optional(Type.Boolean()) },
        { additionalProperties: false },
      ),
    ),
    analytics: Type.Optional(
      Type.Object(
        {
          reportTypes: Type.Optional(Type.Array(Label, { maxItems: 50 })),
          exportFormats: Type.Optional(Type.Array(Label, { maxItems: 50 })),
          retentionDays: Type.Optional(Count),
        },
        { additionalProperties: false },
      ),
    ),
    support: Type.Optional(Label),
    additional: Type.Optional(Type.Record(Type.String({ maxLength: 50 }), Type.Boolean())),
  },
  { additionalProperties: false, $id: 'PlanFeatures', title: 'PlanFeatures' },
);
export type Features = Static<typeof FeaturesSchema>;

export const CustomFeatures = Type.Array(Name({ maxLength: 200 }), { maxItems: 100 });

const MonthlyPriceIn = Type.Object({ amount: Amount, currency: Currency }, { additionalProperties: false });
const YearlyPriceIn = Type.Object({ amount: Amount, currency: Currency, savings: Type.Optional(Amount) }, { additionalProperties: false });

/** The body of create and full update (PUT): the whole plan. */
export const PlanInputSchema = Type.Object(
  {
    name: PlanName,
    displayName: Type.Optional(Name({ maxLength: 200 })),
    price: Type.Object({ monthly: Type.Optional(MonthlyPriceIn), yearly: Type.Optional(YearlyPriceIn) }, { additionalProperties: false }),
    features: Type.Optional(Type.Ref(FeaturesSchema)),
    customFeatures: Type.Optional(CustomFeatures),
    recommended: Type.Optional(Type.Boolean()),
    category: Type.Optional(Name({ maxLength: 50 })),
    status: Type.Optional(Type.Union([Type.Literal('active'), Type.Literal('inactive')])),
  },
  { additionalProperties: false },
);
export type PlanInput = Static<typeof PlanInputSchema>;

const Price = Type.Object({ amount: Type.Number(), currency: Type.String() });
export const PlanSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    displayName: Type.String(),
    price: Type.Object({
      monthly: Type.Union([Price, Type.Null()]),
      yearly: Type.Union([
        Type.Object({ amount: Type.Number(), currency: Type.String(), savings: Type.Union([Type.Number(), Type.Null()]) }),
        Type.Null(),
      ]),
    }),
    features: Type.Ref(FeaturesSchema),
    customFeatures: Type.Array(Type.String()),
    recommended: Type.Boolean(),
    category: Type.String(),
    status: Type.Union([Type.Literal('active'), Type.Literal('inactive')]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'Plan', title: 'Plan' },
);
export type PublicPlan = Static<typeof PlanSchema>;

/** HNG's simple view of the same table: price is the monthly amount. */
export const SimplePlanSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  price: Type.Union([Type.Number(), Type.Null()]),
});
