import { useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './use-api.js';

/** An ECharts option (kept loose here so the first page needs no ECharts types or code). */
export type ChartOption = Record<string, unknown>;

let echarts: Promise<typeof import('./echarts-setup.js')> | undefined;
const loadECharts = () => (echarts ??= import('./echarts-setup.js'));

/** A chart drawn by ECharts, loaded on first use; `label` names it for screen readers. */
export function Chart(props: { option: ChartOption; label: string; height?: number; testid?: string; onClick?: (item: { name?: string; dataType?: string }) => void }) {
  const el = useRef<HTMLDivElement>(null);
  const chart = useRef<{ setOption(o: unknown, notMerge?: boolean): void; resize(): void; dispose(): void; on(event: string, handler: (item: unknown) => void): void } | null>(null);
  const [error, setError] = useState<string>();
  useEffect(() => {
    let gone = false;
    let observer: ResizeObserver | undefined;
    loadECharts().then(
      ({ init }) => {
        if (gone || !el.current) return;
        chart.current = init(el.current, undefined, { renderer: 'canvas' });
        chart.current.setOption(props.option, true);
        const onClick = props.onClick;
        if (onClick) chart.current.on('click', (item) => onClick(item as { name?: string; dataType?: string }));
        observer = new ResizeObserver(() => chart.current?.resize());
        observer.observe(el.current);
      },
      (e: unknown) => setError(errorText(e)),
    );
    return () => {
      gone = true;
      observer?.disconnect();
      chart.current?.dispose();
      chart.current = null;
    };
  }, []);
  useEffect(() => {
    chart.current?.setOption(props.option, true);
  }, [props.option]);
  if (error) return <p role="alert">Chart failed: {error}</p>;
  return <div ref={el} class="chart" role="img" aria-label={props.label} data-testid={props.testid} style={{ height: `${props.height ?? 260}px` }} />;
}
