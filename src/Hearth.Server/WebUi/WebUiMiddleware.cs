using Microsoft.AspNetCore.Http;

namespace Hearth.Server.WebUi;

/// <summary>Serves the web UI's static files: the page at "/" (to browsers, i.e. requests that accept text/html; other
/// clients keep getting the liveness text Ollama clients expect) and its assets under "/ui/". It runs before the
/// API-key check on purpose: the files hold no data, and the page must load to ask for a key; every call the page
/// then makes goes through the API and its keys like any other client's.</summary>
public sealed class WebUiMiddleware(RequestDelegate next, WebUiAssets assets)
{
    /// <summary>Same-origin only: scripts, styles, fetches and images come from this server and nowhere else; no inline
    /// script or style; the page cannot be framed, and forms and base URLs are disabled.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "font-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    public Task InvokeAsync(HttpContext ctx)
    {
        var request = ctx.Request;
        if (!HttpMethods.IsGet(request.Method) && !HttpMethods.IsHead(request.Method)) return next(ctx);
        var path = request.Path.Value ?? "";
        string? file = null;
        if (path == "/" && AcceptsHtml(request)) file = "index.html";
        else if (path.StartsWith("/ui/", StringComparison.Ordinal) && !path.StartsWith("/ui/api/", StringComparison.Ordinal))
            file = path["/ui/".Length..];
        if (file is null) return next(ctx);
        var asset = assets.Find(file);
        if (asset is null || file == "index.html" && path != "/") return next(ctx); // 404 from routing, API-shaped
        return WriteAsync(ctx, asset);
    }

    private static bool AcceptsHtml(HttpRequest request) =>
        request.Headers.Accept.ToString().Contains("text/html", StringComparison.OrdinalIgnoreCase);

    private static Task WriteAsync(HttpContext ctx, WebUiAssets.Asset asset)
    {
        var headers = ctx.Response.Headers;
        headers.ContentSecurityPolicy = ContentSecurityPolicy;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers.CacheControl = "no-cache"; // revalidate each time: a new binary may carry a new bundle under the same name
        headers.ETag = asset.ETag;
        if (ctx.Request.Headers.IfNoneMatch.ToString() == asset.ETag)
        {
            ctx.Response.StatusCode = StatusCodes.Status304NotModified;
            return Task.CompletedTask;
        }
        headers.Vary = "Accept-Encoding";
        var body = asset.Body;
        if (asset.Gzip is not null && ctx.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            body = asset.Gzip;
            headers.ContentEncoding = "gzip";
        }
        ctx.Response.ContentType = asset.ContentType;
        ctx.Response.ContentLength = body.Length;
        return HttpMethods.IsHead(ctx.Request.Method) ? Task.CompletedTask : ctx.Response.Body.WriteAsync(body, ctx.RequestAborted).AsTask();
    }
}
