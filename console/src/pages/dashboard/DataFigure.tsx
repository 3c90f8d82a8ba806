import { messageOf } from '../../api/client';
import { ChartCanvas, type ChartConfig } from '../../components/Chart';

/**
 * One chart of the dashboard: a `<figure>` with its caption, the chart on a canvas, and the same
 * numbers as a table under "Show data" (the chart's text alternative).
 */
export function DataFigure(props: {
  caption: string;
  error: unknown;
  chart: ChartConfig | null;
  head: string[];
  rows: (string | number)[][];
  note?: string | undefined;
}) {
  const { caption, error, chart, head, rows, note } = props;
  return (
    <figure class="panel figure">
      <figcaption>{caption}</figcaption>
      {error ? (
        <p class="figure-error">Could not load this chart: {messageOf(error)}</p>
      ) : chart ? (
        <ChartCanvas config={chart} label={`${caption} (the numbers are under Show data)`} />
      ) : (
        <p class="muted">Loading…</p>
      )}
      {note && <p class="figure-note">{note}</p>}
      {chart && (
        <details>
          <summary>Show data</summary>
          <div class="table-scroll">
            <table>
              <thead>
                <tr>
                  {head.map((h) => (
                    <th key={h} scope="col">
                      {h}
                    </th>
                  ))}
                </tr>
              </thead>
              <tbody>
                {rows.length === 0 ? (
                  <tr>
                    <td colSpan={head.length}>No data yet.</td>
                  </tr>
                ) : (
                  rows.map((r) => (
                    <tr key={String(r[0])}>
                      {r.map((cell, i) =>
                        i === 0 ? (
                          <th key={head[i]} scope="row">
                            {cell}
                          </th>
                        ) : (
                          <td key={head[i]} class="num">
                            {cell}
                          </td>
                        ),
                      )}
                    </tr>
                  ))
                )}
              </tbody>
            </table>
          </div>
        </details>
      )}
    </figure>
  );
}
