/** The bundle's entry: importing it defines every `wtm-*` element. */
export * from './api';
export * from './filters';
export { WtmBreakdown } from './elements/wtm-breakdown';
export { WtmFilterBar } from './elements/wtm-filter-bar';
export { WtmDashboard } from './elements/wtm-dashboard';
export { WtmKpis } from './elements/wtm-kpis';
export { WtmPeriodPicker } from './elements/wtm-period-picker';
export { WtmProps } from './elements/wtm-props';
export { WtmRealtime } from './elements/wtm-realtime';
export { WtmSitePicker } from './elements/wtm-site-picker';
export { WtmTimeseries } from './elements/wtm-timeseries';
