// Prometheus metrics: request counts and latency histograms by route and code, plus object counts
// per kind and per status phase read at scrape time.
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  method: string;
  route: string;
  code: number;
  count: number;
  sum: number;
  buckets: number[];
}

const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

export class HttpMetrics {
  private readonly series = new Map<string, Series>();

  observe(method: string, route: string, code: number, seconds: number): void {
    const key = `${method} ${route} ${code}`;
    let s = this.series.get(key);
    if (!s) {
      s = { method, route, code, count: 0, sum: 0, buckets: BUCKETS.map(() => 0) };
      this.series.set(key, s);
    }
    s.count++;
    s.sum += seconds;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]) s.buckets[i]++;
  }

  render(
    objects: Record<string, number>,
    kinds: string[],
    watch: { streams: number; subscribers: number },
    phases: { kind: string; phase: string; count: number }[] = [],
  ): string {
    const out: string[] = [];
    out.push('# HELP orrery_http_requests_total HTTP requests by method, route and status code (499: the client closed the connection before its request body arrived).');
    out.push('# TYPE orrery_http_requests_total counter');
    const all = [...this.series.values()];
    for (const s of all) {
      out.push(`orrery_http_requests_total{method="${s.method}",route="${esc(s.route)}",code="${s.code}"} ${s.count}`);
    }
    out.push('# HELP orrery_http_request_duration_seconds HTTP request latency by method, route and status code.');
    out.push('# TYPE orrery_http_request_duration_seconds histogram');
    for (const s of all) {
      const l = `method="${s.method}",route="${esc(s.route)}",code="${s.code}"`;
      BUCKETS.forEach((b, i) => out.push(`orrery_http_request_duration_seconds_bucket{${l},le="${b}"} ${s.buckets[i]}`));
      out.push(`orrery_http_request_duration_seconds_bucket{${l},le="+Inf"} ${s.count}`);
      out.push(`orrery_http_request_duration_seconds_sum{${l}} ${s.sum}`);
      out.push(`orrery_http_request_duration_seconds_count{${l}} ${s.count}`);
    }
    out.push('# HELP orrery_objects Stored objects per kind.');
    out.push('# TYPE orrery_objects gauge');
    for (const k of kinds) out.push(`orrery_objects{kind="${k}"} ${objects[k] ?? 0}`);
    out.push('# HELP orrery_objects_by_phase Stored objects per kind and status phase (tasks running, dead-lettered; workers ready …).');
    out.push('# TYPE orrery_objects_by_phase gauge');
    for (const p of phases) out.push(`orrery_objects_by_phase{kind="${esc(p.kind)}",phase="${esc(p.phase)}"} ${p.count}`);
    out.push('# HELP orrery_watch_streams Open SSE watch streams.');
    out.push('# TYPE orrery_watch_streams gauge');
    out.push(`orrery_watch_streams ${watch.streams}`);
    out.push('# HELP orrery_watch_subscribers Live subscriptions on the broadcast hubs.');
    out.push('# TYPE orrery_watch_subscribers gauge');
    out.push(`orrery_watch_subscribers ${watch.subscribers}`);
    return out.join('\n') + '\n';
  }
}
