/** Small live charts (uPlot): a few minutes of history, redrawn on every feed frame. */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const palette = ['#2563eb', '#dc2626', '#059669', '#d97706', '#7c3aed', '#0891b2', '#be185d'];

export interface SmallChart {
  el: HTMLElement;
  update(xs: number[], series: (number | null)[][]): void;
}

export function smallChart(
  title: string,
  names: string[],
  { unit = '' }: { unit?: string } = {},
): SmallChart {
  const el = document.createElement('figure');
  el.className = 'chart';
  const caption = document.createElement('figcaption');
  caption.textContent = title;
  const holder = document.createElement('div');
  holder.setAttribute('role', 'img');
  holder.setAttribute('aria-label', `${title}: chart of the last minutes`);
  el.append(caption, holder);
  let plot: uPlot | null = null;
  let data: uPlot.AlignedData = [[], ...names.map(() => [])];
  const width = () => Math.max(200, Math.min(holder.clientWidth || el.clientWidth || 320, 560));
  const make = () =>
    new uPlot(
      {
        width: width(),
        height: 120,
        legend: { show: names.length > 1 },
        cursor: { show: false },
        scales: { x: { time: true } },
        axes: [
          { size: 24, font: '10px system-ui' },
          { size: 44, font: '10px system-ui', values: (_u, v) => v.map((x) => `${x}${unit}`) },
        ],
        series: [
          {},
          ...names.map((n, i) => ({
            label: n,
            stroke: palette[i % palette.length],
            width: 1.5,
            points: { show: false },
          })),
        ],
      },
      data,
      holder,
    );
  new ResizeObserver(() => plot?.setSize({ width: width(), height: 120 })).observe(el);
  return {
    el,
    update(xs, series) {
      data = [xs.map((x) => x / 1000), ...series] as uPlot.AlignedData;
      if (!plot && el.isConnected) plot = make();
      else plot?.setData(data);
    },
  };
}
