using Akka.Hosting;
using Analytics.Actors;
using Analytics.Actors.AI;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenTelemetry.Metrics;

var builder = WebApplication.CreateBuilder(args);
builder.Services.AddUsageAnalytics(builder.Configuration);
builder.Services.AddAkka("my-gateway", akka => akka.WithUsageAnalytics());

// Every call through this client is recorded: tokens, model, provider, duration, time to first token, failures.
builder.Services.AddChatClient(new OpenAIClient(builder.Configuration["OpenAI:ApiKey"]!).GetChatClient("gpt-4o-mini").AsIChatClient())
    .UseUsageAnalytics();

builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics
    .AddMeter("Analytics.Usage")
    .AddConsoleExporter());

builder.Services.AddHealthChecks().AddUsageAnalytics();

var app = builder.Build();
app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = check => check.Tags.Contains("live") });
app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });

app.MapPost("/chat", async (IChatClient chat, string prompt, string agent) =>
{
    var options = new ChatOptions { AdditionalProperties = new() { ["agent_id"] = agent } };
    var response = await chat.GetResponseAsync(prompt, options);
    return response.Text;
});
app.MapGet("/stats", (IUsageStats stats) => stats.GetAsync());
app.Run();
