const STORAGE_KEY = 'tryghed.sound';
/**
 * One alert sounds at most once in this time. Escalation reminders are a minute or more apart and
 * still sound; a burst of events about one alert (opened and escalated, replayed together after a
 * reconnect) is one signal, not a noise.
 */
const PER_ALERT_QUIET_MS = 10_000;

declare global {
  interface Window {
    /**
     * How many alert sounds this page has started. Counted where the oscillators are started, so a
     * browser test can tell "a sound was played" from "the board thought about it"; it is a plain
     * number with nothing personal in it.
     */
    __tryghedSoundsPlayed?: number;
  }
}

/**
 * The sound for new critical alerts: a short two-tone signal made with WebAudio, so there is no
 * file to load and nothing to cache. It can be muted on this device (a shared tablet in a staff
 * room may need silence); the choice is kept in localStorage, not on the server, because it
 * belongs to the device, not the person.
 */
export class AlertSound {
  private context: AudioContext | null = null;
  private on = localStorage.getItem(STORAGE_KEY) !== 'off';
  private readonly lastPlayed = new Map<string, number>();

  get enabled(): boolean {
    return this.on;
  }

  setEnabled(on: boolean): void {
    this.on = on;
    localStorage.setItem(STORAGE_KEY, on ? 'on' : 'off');
    if (on) this.unlock();
  }

  /**
   * Browsers let a page make sound only after a person has interacted with it (autoplay policy).
   * Call this from a click or key press so the first alert that arrives later is heard.
   */
  unlock(): void {
    if (!this.on) return;
    try {
      this.context ??= new AudioContext();
      if (this.context.state === 'suspended') void this.context.resume();
    } catch {
      // no audio on this device; the visual cue remains
    }
  }

  /**
   * Plays the signal for `alertId` unless muted or it sounded for that alert just now. If the
   * browser still holds audio back (nobody has touched the page yet), the signal starts once it is
   * allowed; it is counted only when it really starts.
   */
  play(alertId: string): void {
    if (!this.on) return;
    const now = performance.now();
    const last = this.lastPlayed.get(alertId);
    if (last !== undefined && now - last < PER_ALERT_QUIET_MS) return;
    this.lastPlayed.set(alertId, now);
    for (const [id, at] of this.lastPlayed) if (now - at >= PER_ALERT_QUIET_MS) this.lastPlayed.delete(id);
    try {
      this.context ??= new AudioContext();
      const audio = this.context;
      if (audio.state === 'running') this.tones(audio);
      else void audio.resume().then(() => this.tones(audio));
    } catch {
      // no audio on this device; the visual cue remains
    }
  }

  private tones(audio: AudioContext): void {
    const start = audio.currentTime;
    for (const [i, freq] of [880, 660].entries()) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = freq;
      gain.gain.value = 0.25;
      osc.connect(gain).connect(audio.destination);
      osc.start(start + i * 0.25);
      osc.stop(start + i * 0.25 + 0.2);
    }
    window.__tryghedSoundsPlayed = (window.__tryghedSoundsPlayed ?? 0) + 1;
  }
}
