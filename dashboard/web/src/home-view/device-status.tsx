import type { DeviceStatus } from './api.ts';
import { tx } from './strings.ts';

/** A device's connectivity in words and a symbol, never by colour alone. */
export function StatusBadge({ device }: { device: DeviceStatus }) {
  const symbol = device.status === 'online' ? '●' : device.status === 'offline' ? '▲' : '○';
  return (
    <span class={`status ${device.status}`}>
      <span aria-hidden="true">{`${symbol} `}</span>
      {tx.of('status_', device.status)}
    </span>
  );
}

/** The battery level as the device last reported it, or why there is none. */
export function batteryText(d: DeviceStatus): string {
  if (!d.kinds.includes('battery')) return '–';
  return d.battery ? `${Math.round(d.battery.value)} %` : tx('batteryUnknown');
}
