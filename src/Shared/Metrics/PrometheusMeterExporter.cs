using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Text;
using Prometheus;

namespace Hearth.Metrics;

/// <summary>Exports one <see cref="Meter"/>'s instruments — plus the runtime's "System.Runtime" meter (GC, thread pool,
/// allocations, JIT, working set) and prometheus-net's process metrics — in the Prometheus text format, through a
/// registry of its own (no global state, so several servers in one process keep separate numbers).
/// <para>prometheus-net aggregates and writes the text; this class only maps instrument kinds to its collectors with
/// the instrument's own name and tag names as labels (prometheus-net's MeterAdapter would prefix the meter name and turn
/// counters into gauges). Counters stay counters, observable gauges are set at each scrape, histograms use the bucket
/// bounds the instrument advises. A series an observable instrument stops reporting (a model unloaded) is dropped.</para>
/// <para>The vLLM-style names contain ':' ("hearth:num_requests_running"), which the Prometheus format allows but
/// prometheus-net's (and OpenTelemetry's) name checks refuse; such names are registered with '_' and written back with
/// ':' when the text is rendered.</para></summary>
internal sealed class PrometheusMeterExporter : IDisposable
{
    private const string RuntimeMeter = "System.Runtime";

    private readonly Meter _meter;
    private readonly CollectorRegistry _registry = global::Prometheus.Metrics.NewCustomRegistry();
    private readonly IMetricFactory _factory;
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, object> _collectors = new();
    private readonly ConcurrentDictionary<string, string> _colonNames = new(StringComparer.Ordinal); // registered → written
    // Label values each observable instrument reported during the current scrape (guarded by _scrape).
    private readonly Dictionary<Instrument, HashSet<string>> _seen = [];
    private readonly Lock _scrape = new();

    public PrometheusMeterExporter(Meter meter)
    {
        _meter = meter;
        _factory = global::Prometheus.Metrics.WithCustomRegistry(_registry);
        DotNetStats.Register(_registry);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter, _meter) || instrument.Meter.Name == RuntimeMeter) listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<int>((i, v, tags, _) => Record(i, v, tags));
        _listener.SetMeasurementEventCallback<double>((i, v, tags, _) => Record(i, v, tags));
        _listener.Start();
        _registry.AddBeforeCollectCallback(CollectObservables);
    }

    /// <summary>The text exposition (format 0.0.4) of everything this exporter holds.</summary>
    public async Task<string> RenderAsync(CancellationToken ct = default)
    {
        using var buffer = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(buffer, ct);
        return RestoreColons(Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }

    public void Dispose() => _listener.Dispose();

    private void CollectObservables()
    {
        lock (_scrape)
        {
            _seen.Clear();
            _listener.RecordObservableInstruments();
            foreach (var (instrument, collector) in _collectors)
            {
                if (!IsObservable(instrument)) continue;
                var seen = _seen.GetValueOrDefault(instrument);
                bool Stale(string[] values) => values.Length > 0 && (seen is null || !seen.Contains(Key(values)));
                switch (collector)
                {
                    case Counter c: foreach (var v in c.GetAllLabelValues().Where(Stale).ToList()) c.RemoveLabelled(v); break;
                    case Gauge g: foreach (var v in g.GetAllLabelValues().Where(Stale).ToList()) g.RemoveLabelled(v); break;
                }
            }
        }
    }

    private static bool IsObservable(Instrument i) => i.IsObservable;

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var names = new string[tags.Length];
        var values = new string[tags.Length];
        for (var i = 0; i < tags.Length; i++)
        {
            names[i] = Sanitize(tags[i].Key);
            values[i] = tags[i].Value?.ToString() ?? "";
        }
        var collector = _collectors.GetOrAdd(instrument, i => Create(i, names));
        if (instrument.IsObservable)
        {
            // Called from CollectObservables, under _scrape.
            if (!_seen.TryGetValue(instrument, out var seen)) _seen[instrument] = seen = new HashSet<string>(StringComparer.Ordinal);
            seen.Add(Key(values));
        }
        switch (collector)
        {
            case Counter c when instrument.IsObservable:
                // An observable counter reports its running total; one that went down was reset (an engine reloaded).
                var child = c.WithLabels(values);
                if (value < child.Value) { c.RemoveLabelled(values); child = c.WithLabels(values); }
                child.IncTo(value);
                break;
            case Counter c: c.WithLabels(values).Inc(value); break;
            case Gauge g when instrument.IsObservable: g.WithLabels(values).Set(value); break;
            case Gauge g: g.WithLabels(values).Inc(value); break; // an UpDownCounter's measurement is a change
            case Histogram h: h.WithLabels(values).Observe(value); break;
        }
    }

    private object Create(Instrument instrument, string[] labelNames)
    {
        var name = PrometheusName(instrument);
        var help = string.IsNullOrEmpty(instrument.Description) ? instrument.Name : instrument.Description;
        var type = instrument.GetType().GetGenericTypeDefinition();
        if (type == typeof(Counter<>) || type == typeof(ObservableCounter<>))
            return _factory.CreateCounter(name, help, labelNames);
        if (type == typeof(Histogram<>))
            return _factory.CreateHistogram(name, help, labelNames, new HistogramConfiguration { Buckets = Bounds(instrument) ?? Prometheus.Histogram.ExponentialBuckets(0.001, 2, 16) });
        return _factory.CreateGauge(name, help, labelNames); // gauges and up-down counters
    }

    private static double[]? Bounds(Instrument instrument) => instrument switch
    {
        Histogram<double> h => h.Advice?.HistogramBucketBoundaries?.ToArray(),
        Histogram<long> h => h.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray(),
        _ => null,
    };

    /// <summary>Our instruments are named as they are written; the runtime's ("dotnet.gc.collections", unit
    /// "{collection}") are translated as OpenTelemetry's Prometheus exporter does: dots to '_', the unit as a suffix,
    /// "_total" on counters.</summary>
    private string PrometheusName(Instrument instrument)
    {
        if (ReferenceEquals(instrument.Meter, _meter))
        {
            var registered = instrument.Name.Replace(':', '_');
            if (registered != instrument.Name) _colonNames[registered] = instrument.Name;
            return registered;
        }
        var name = Sanitize(instrument.Name);
        var unit = instrument.Unit switch { "By" => "bytes", "s" => "seconds", _ => null };
        if (unit != null && !name.EndsWith("_" + unit, StringComparison.Ordinal)) name += "_" + unit;
        if (instrument is ObservableCounter<long> or ObservableCounter<double> or Counter<long> or Counter<double> && !name.EndsWith("_total", StringComparison.Ordinal))
            name += "_total";
        return name;
    }

    private static string Sanitize(string s)
    {
        var chars = s.ToCharArray();
        for (var i = 0; i < chars.Length; i++)
            if (!(char.IsAsciiLetterOrDigit(chars[i]) || chars[i] == '_')) chars[i] = '_';
        return new string(chars);
    }

    private static string Key(string[] values) => string.Join('\u0001', values);

    /// <summary>Writes the ':' back into the names registered without it: in "# HELP n", "# TYPE n" and sample lines
    /// "n{…}", "n …", "n_bucket{…}", "n_sum…", "n_count…".</summary>
    private string RestoreColons(string text)
    {
        if (_colonNames.IsEmpty) return text;
        var sb = new StringBuilder(text.Length);
        foreach (var line in text.Split('\n'))
        {
            var start = line.StartsWith("# HELP ", StringComparison.Ordinal) || line.StartsWith("# TYPE ", StringComparison.Ordinal) ? 7 : 0;
            var end = start;
            while (end < line.Length && line[end] != '{' && line[end] != ' ') end++;
            var name = line[start..end];
            string? family = null;
            foreach (var suffix in (ReadOnlySpan<string>)["", "_bucket", "_sum", "_count"])
                if (name.EndsWith(suffix, StringComparison.Ordinal) && _colonNames.TryGetValue(name[..^suffix.Length], out var written))
                {
                    family = written + suffix;
                    break;
                }
            if (family is null) sb.Append(line);
            else sb.Append(line, 0, start).Append(family).Append(line, end, line.Length - end);
            sb.Append('\n');
        }
        sb.Length--; // the split added one '\n' too many
        return sb.ToString();
    }
}
