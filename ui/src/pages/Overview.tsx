import { OverviewPanels } from "../components/OverviewPanels";

/** Sessions, turns, spend and gateway health across every team (admins); the home page shows the same panels. */
export function Overview() {
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Overview</h1>
          <p>Sessions, turns, spend and the gateway's health across every team.</p>
        </div>
      </div>
      <OverviewPanels emptyHint />
    </div>
  );
}
