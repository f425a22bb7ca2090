import type { ApiResponse } from '../api/client.ts';
import { clockTime, degrees, nt, sensorName } from './strings.ts';

export type RoundView = ApiResponse<'/api/night-round', 'get'>;
export type RoundHome = RoundView['homes'][number];
type Line = RoundHome['summary']['lines'][number];
type Reason = RoundHome['summary']['reasons'][number];

/** One line of the summary in plain words: a state and since when, never a score. */
export function lineText(l: Line): string {
  const time = l.since !== null ? clockTime(l.since) : '';
  switch (l.state) {
    case 'no_data':
      if (!l.sensorPresent) return nt('line_no_sensor', { sensor: sensorName(l.kind) });
      return l.lastHeardAt !== null
        ? nt('line_no_data_since', { sensor: sensorName(l.kind), time: clockTime(l.lastHeardAt) })
        : nt('line_no_data', { sensor: sensorName(l.kind) });
    case 'nothing_reported':
      return l.category === 'activity'
        ? nt('line_nothing_reported_motion')
        : nt('line_nothing_reported_emergency');
    case 'temperature':
      return nt('line_temperature', { value: degrees(l.value ?? 0), time });
    default:
      return nt.of('line_', l.state, { time });
  }
}

export function reasonText(r: Reason): string {
  return nt.of('reason_', r.code, { sensor: sensorName(r.kind) });
}

/** The summary: the mark with its stated reasons next to it, then the lines. */
export function Summary({ home }: { home: RoundHome }) {
  const { summary } = home;
  return (
    <div class="round-summary">
      <p class={`round-mark mark-${summary.mark}`}>
        <strong>{nt.of('mark_', summary.mark)}</strong>
        {summary.reasons.length > 0 ? `: ${summary.reasons.map(reasonText).join('; ')}` : ''}
      </p>
      <ul class="round-lines">
        {summary.lines.map((l) => (
          <li key={l.kind}>{lineText(l)}</li>
        ))}
      </ul>
    </div>
  );
}
