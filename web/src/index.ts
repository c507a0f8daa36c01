/** The bundle's entry: importing it defines every `wtm-*` element. */
export * from './api';
export { WtmBreakdown } from './elements/wtm-breakdown';
export { WtmDashboard } from './elements/wtm-dashboard';
export { WtmKpis } from './elements/wtm-kpis';
export { WtmPeriodPicker } from './elements/wtm-period-picker';
export { WtmRealtime } from './elements/wtm-realtime';
export { WtmSitePicker } from './elements/wtm-site-picker';
export { WtmTimeseries } from './elements/wtm-timeseries';
