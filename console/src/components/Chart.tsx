import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

// only what the dashboard draws, so the rest of Chart.js is left out of the bundle
Chart.register(BarController, BarElement, LineController, LineElement, PointElement, CategoryScale, LinearScale, Legend, Tooltip);
Chart.defaults.animation = false;
Chart.defaults.maintainAspectRatio = false;
Chart.defaults.color = '#3d4451';
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** Colours with at least 3:1 contrast on white (WCAG non-text contrast). */
export const SERIES_COLOURS = ['#1f5fbf', '#b4451f', '#2e7d32', '#6a3fb5', '#8a6d00', '#0f7480'];

export type ChartConfig = ChartConfiguration<'bar' | 'line', number[], string>;

/** A chart on a canvas; the figure around it holds the caption and the numbers as a table. */
export function ChartCanvas({ config, label }: { config: ChartConfig; label: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!ref.current) return;
    const chart = new Chart(ref.current, config);
    return () => chart.destroy();
  }, [config]);
  return (
    <div class="chart">
      <canvas ref={ref} role="img" aria-label={label} />
    </div>
  );
}
