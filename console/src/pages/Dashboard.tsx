import { useMemo } from 'preact/hooks';
import { analytics } from '../api/analytics';
import { type ChartConfig, SERIES_COLOURS } from '../components/Chart';
import { useLoad } from '../components/use-load';
import { formatMoney, formatNumber } from '../format';
import { can, useSession } from '../session';
import { DataFigure } from './dashboard/DataFigure';

const [BLUE, ORANGE, GREEN] = SERIES_COLOURS as [string, string, string];
const integerAxis = { y: { beginAtZero: true, ticks: { precision: 0 } } };
const label = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function bars(labels: string[], datasets: { label: string; data: number[]; colour: string }[], stacked = false): ChartConfig {
  return {
    type: 'bar',
    data: { labels, datasets: datasets.map((d) => ({ label: d.label, data: d.data, backgroundColor: d.colour })) },
    options: { scales: stacked ? { x: { stacked: true }, y: { ...integerAxis.y, stacked: true } } : integerAxis },
  };
}

function Signups() {
  const { data, error } = useLoad(() => analytics.signups(30), []);
  const chart = useMemo<ChartConfig | null>(
    () =>
      data
        ? {
            type: 'line',
            data: {
              labels: data.series.map((d) => d.date.slice(5)),
              datasets: [
                { label: 'Sign-ups', data: data.series.map((d) => d.signups), borderColor: BLUE, backgroundColor: BLUE },
                { label: 'Child accounts', data: data.series.map((d) => d.children), borderColor: ORANGE, backgroundColor: ORANGE },
              ],
            },
            options: { scales: integerAxis },
          }
        : null,
    [data],
  );
  return (
    <DataFigure
      caption="Sign-ups per day (30 days)"
      error={error}
      chart={chart}
      head={['Date', 'Sign-ups', 'Child accounts']}
      rows={data?.series.map((d) => [d.date, d.signups, d.children]) ?? []}
    />
  );
}

function Accounts() {
  const { data, error } = useLoad(() => analytics.accounts(), []);
  const statuses = data ? Object.entries(data.byStatus) : [];
  const chart = useMemo(
    () =>
      data
        ? bars(
            statuses.map(([s]) => label(s)),
            [{ label: 'Accounts', data: statuses.map(([, n]) => n), colour: BLUE }],
          )
        : null,
    [data],
  );
  return (
    <DataFigure
      caption="Accounts by status"
      error={error}
      chart={chart}
      head={['Status', 'Accounts']}
      rows={statuses.map(([s, n]) => [label(s), n])}
      note={
        data &&
        `${formatNumber(data.total)} accounts: ${formatNumber(data.byRole.parent)} parents, ${formatNumber(data.byRole.child)} children.`
      }
    />
  );
}

function Subscriptions() {
  const { data, error } = useLoad(() => analytics.subscriptions(), []);
  const chart = useMemo(() => {
    if (!data) return null;
    const names = data.plans.map((p) => p.name);
    return bars(
      names,
      [
        { label: 'Active', data: data.plans.map((p) => p.active), colour: GREEN },
        { label: 'Cancelling at period end', data: data.plans.map((p) => p.canceled), colour: ORANGE },
      ],
      true,
    );
  }, [data]);
  return (
    <DataFigure
      caption="Live subscriptions by plan"
      error={error}
      chart={chart}
      head={['Plan', 'Active', 'Cancelling', 'Total']}
      rows={data?.plans.map((p) => [p.name, p.active, p.canceled, p.total]) ?? []}
      note={data && `${formatNumber(data.total)} live subscriptions.`}
    />
  );
}

function Revenue() {
  const { data, error } = useLoad(() => analytics.revenue(), []);
  const chart = useMemo(
    () =>
      data
        ? {
            ...bars(
              data.currencies.map((c) => c.currency),
              [{ label: 'Monthly recurring revenue', data: data.currencies.map((c) => c.mrr), colour: BLUE }],
            ),
            options: { scales: { y: { beginAtZero: true } } },
          }
        : null,
    [data],
  );
  return (
    <DataFigure
      caption="Monthly recurring revenue"
      error={error}
      chart={chart}
      head={['Currency', 'MRR', 'Subscriptions']}
      rows={data?.currencies.map((c) => [c.currency, formatMoney(c.mrr, c.currency), c.subscriptions]) ?? []}
      note="Per currency; yearly prices count as a twelfth a month."
    />
  );
}

function Upcoming() {
  const { data, error } = useLoad(() => analytics.upcoming(7), []);
  const chart = useMemo(
    () =>
      data
        ? bars(
            data.series.map((d) => d.date.slice(5)),
            [
              { label: 'Renewals', data: data.series.map((d) => d.renewals), colour: GREEN },
              { label: 'Expiries', data: data.series.map((d) => d.expiries), colour: ORANGE },
            ],
          )
        : null,
    [data],
  );
  return (
    <DataFigure
      caption="Renewals and expiries (next 7 days)"
      error={error}
      chart={chart}
      head={['Date', 'Renewals', 'Expiries']}
      rows={data?.series.map((d) => [d.date, d.renewals, d.expiries]) ?? []}
    />
  );
}

/** `#/`: five charts from the analytics endpoints, each with its numbers as a table. */
export function Dashboard() {
  const session = useSession();
  return (
    <>
      <h1 tabIndex={-1}>Dashboard</h1>
      {can('view_analytics', session) ? (
        <div class="figures">
          <Signups />
          <Accounts />
          <Subscriptions />
          <Revenue />
          <Upcoming />
        </div>
      ) : (
        <p>You do not have permission to view analytics.</p>
      )}
    </>
  );
}
