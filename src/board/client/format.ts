// Browser side: figures with units that switch (mg/g/kg/t, mWh/Wh/kWh/MWh, nJ…kJ), the same rules everywhere on the page.

/** Three significant digits, without trailing zeros or exponent noise for the usual ranges. */
function sig(v: number): string {
  return v === 0 ? '0' : String(Number(v.toPrecision(3)));
}

/** A mass of CO2eq given in kg, in t, kg, g, mg or µg, whichever reads between 1 and 1000. */
function fmtMass(kg: number): string {
  const a = Math.abs(kg);
  if (a >= 1000) return `${sig(kg / 1000)} t`;
  if (a >= 1) return `${sig(kg)} kg`;
  if (a >= 1e-3 || a === 0) return `${sig(kg * 1e3)} g`;
  if (a >= 1e-6) return `${sig(kg * 1e6)} mg`;
  return `${sig(kg * 1e9)} µg`;
}

/** Energy given in kWh, in MWh, kWh, Wh or mWh. */
function fmtEnergy(kwh: number): string {
  const a = Math.abs(kwh);
  if (a >= 1000) return `${sig(kwh / 1000)} MWh`;
  if (a >= 1) return `${sig(kwh)} kWh`;
  if (a >= 1e-3 || a === 0) return `${sig(kwh * 1e3)} Wh`;
  return `${sig(kwh * 1e6)} mWh`;
}

/** Energy given in J, in kJ, J, mJ, µJ or nJ. */
function fmtJoules(j: number): string {
  const a = Math.abs(j);
  if (a >= 1000) return `${sig(j / 1000)} kJ`;
  if (a >= 1 || a === 0) return `${sig(j)} J`;
  if (a >= 1e-3) return `${sig(j * 1e3)} mJ`;
  if (a >= 1e-6) return `${sig(j * 1e6)} µJ`;
  return `${sig(j * 1e9)} nJ`;
}

/** A duration given in s, in s, min or h. */
function fmtDuration(s: number): string {
  if (s >= 3600) return `${sig(s / 3600)} h`;
  if (s >= 60) return `${sig(s / 60)} min`;
  return `${sig(s)} s`;
}

/** A plain number with three significant digits and its unit. */
function fmtNumber(v: number, unit: string): string {
  return `${sig(v)}${unit === '' ? '' : ` ${unit}`}`;
}
