import { setUtc, utc, zoneLabel } from "./format.ts";

/** The switch between the browser's time zone and UTC, for every time the dashboard shows. */
export function TimeZoneSwitch() {
  return (
    <button
      type="button"
      aria-pressed={utc()}
      title={`Times are shown in ${zoneLabel()}; click to show them in ${utc() ? "your time zone" : "UTC"}`}
      onClick={() => setUtc(!utc())}
    >
      UTC
    </button>
  );
}
