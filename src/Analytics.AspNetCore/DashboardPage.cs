using Microsoft.AspNetCore.Http;

namespace Analytics.AspNetCore;

/// <summary>
/// <c>GET /</c>: one self-contained page (HTML, CSS, script and SVG charts in one file, embedded in this assembly; no
/// CDN, so it works offline) that reads <c>GET /v1/stats</c> and nothing else.
/// </summary>
internal static class DashboardPage
{
    private static readonly Lazy<byte[]> Page = new(() =>
    {
        using var stream = typeof(DashboardPage).Assembly.GetManifestResourceStream("Analytics.Dashboard.index.html")
                           ?? throw new InvalidOperationException("The dashboard page is missing from the assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    public static async Task WriteAsync(HttpContext context)
    {
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-cache";
        // The page loads nothing from elsewhere; the policy makes that a rule the browser enforces.
        context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:";
        await context.Response.Body.WriteAsync(Page.Value, context.RequestAborted);
    }
}
