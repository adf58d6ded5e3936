using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Analytics.AspNetCore;

/// <summary>
/// The health endpoints' body: <c>{"status", "total_duration_ms", "checks": {name: {"status", "description",
/// "duration_ms", "data"}}}</c>. The status code stays ASP.NET Core's (200 for Healthy and Degraded, 503 for Unhealthy),
/// so a probe reads the code and a person the body.
/// </summary>
internal static class HealthJson
{
    public static async Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("status", report.Status.ToString());
            w.WriteNumber("total_duration_ms", Math.Round(report.TotalDuration.TotalMilliseconds, 3));
            w.WriteStartObject("checks");
            foreach (var (name, entry) in report.Entries)
            {
                w.WriteStartObject(name);
                w.WriteString("status", entry.Status.ToString());
                if (entry.Description is { } description) w.WriteString("description", description);
                w.WriteNumber("duration_ms", Math.Round(entry.Duration.TotalMilliseconds, 3));
                if (entry.Exception is { } e) w.WriteString("error", e.Message);
                w.WriteStartObject("data");
                foreach (var (key, value) in entry.Data)
                {
                    w.WritePropertyName(key);
                    JsonSerializer.Serialize(w, value, value?.GetType() ?? typeof(object));
                }
                w.WriteEndObject();
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        await context.Response.Body.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), context.RequestAborted);
    }
}
