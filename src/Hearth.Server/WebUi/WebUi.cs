using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Hearth.Server.WebUi;

/// <summary>Wires the web UI into the server (unless --no-ui): its services, its two middlewares and its routes.</summary>
public static class WebUiSetup
{
    public static void AddServices(IServiceCollection services)
    {
        services.AddSingleton<WebUiAssets>();
        services.AddSingleton<RecentRequests>();
        services.AddSingleton<BenchEndpoint.Slot>();
    }

    /// <summary>Outside the error mapping, so the request log sees the status the client got.</summary>
    public static void UseRequestLog(WebApplication app) => app.UseMiddleware<RecentRequestsMiddleware>();

    /// <summary>Before the API-key check (see <see cref="WebUiMiddleware"/>).</summary>
    public static void UseStaticFiles(WebApplication app) => app.UseMiddleware<WebUiMiddleware>();

    public static void MapRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet("/ui/api/requests", RequestsEndpoint.Handle);
        app.MapPost("/ui/api/bench", BenchEndpoint.Handle);
        app.MapPost("/api/create", CreateEndpoint.Handle);
    }
}
