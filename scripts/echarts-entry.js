// The parts of ECharts that Tollgate's charts use — bars (spend per service), pins (deposits), the grid and
// its axes, the tooltip and legend, drawn on a canvas — bundled by `build_site` (scripts/site-env.sh) into
// public/echarts.min.js. A third of the full build: less for a phone to download, parse and run before a
// page settles (docs/BENCHMARKS.md "Lighthouse"). A chart option using anything else needs it added here.
import * as echarts from "echarts/core";
import { BarChart, ScatterChart } from "echarts/charts";
import { GridComponent, LegendComponent, TooltipComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([BarChart, ScatterChart, GridComponent, LegendComponent, TooltipComponent, CanvasRenderer]);
window.echarts = echarts;
