using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Hearth.Telemetry;

/// <summary>OpenTelemetry tracing for the server and the router, off unless an OTLP endpoint is given (or a test adds
/// its own exporter): a span per HTTP request (ASP.NET Core instrumentation), one per outgoing HTTP call (HttpClient
/// instrumentation, which also sends the W3C <c>traceparent</c> header, so a router → serve request is one trace), and
/// Hearth's own spans from the named activity sources.</summary>
internal static class Tracing
{
    /// <summary>The endpoint to export to: the command-line value, else OTEL_EXPORTER_OTLP_ENDPOINT, else none.</summary>
    public static string? Endpoint(string? option) =>
        !string.IsNullOrWhiteSpace(option) ? option : Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT") is { Length: > 0 } env ? env : null;

    /// <param name="otlpEndpoint">the --otlp-endpoint value; OTEL_EXPORTER_OTLP_ENDPOINT when null</param>
    /// <returns>whether tracing was turned on</returns>
    public static bool Add(IServiceCollection services, string serviceName, string? otlpEndpoint, Action<TracerProviderBuilder>? configure, params string[] sources)
    {
        otlpEndpoint = Endpoint(otlpEndpoint);
        if (otlpEndpoint is null && configure is null) return false;
        services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(serviceName))
            .WithTracing(t =>
            {
                t.AddSource(sources).AddAspNetCoreInstrumentation().AddHttpClientInstrumentation();
                if (otlpEndpoint is not null) t.AddOtlpExporter(o => o.Endpoint = new Uri(otlpEndpoint));
                configure?.Invoke(t);
            });
        return true;
    }
}
