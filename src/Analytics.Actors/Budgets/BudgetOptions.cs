using System.Globalization;
using Analytics.Actors.Budgets;
using Analytics.Actors.Hosting;
using Analytics.Actors.Pricing;
using Analytics.Contracts;

namespace Analytics.Actors;

/// <summary>
/// One spend budget, bound from <c>Analytics:Budgets:&lt;name&gt;</c>: a limit in USD on the priced cost of the
/// completed requests of one agent, one model or one provider (exactly one of <see cref="Agent"/>, <see cref="Model"/>
/// and <see cref="Provider"/>; <c>*</c> for every request) within a UTC calendar <see cref="Window"/>. When a
/// window's spend first reaches one of the <see cref="Thresholds"/>, one <see cref="BudgetThresholdReached"/> is recorded.
/// </summary>
public sealed class BudgetOptions
{
    /// <summary>The default thresholds, in percent of the limit.</summary>
    public static readonly IReadOnlyList<int> DefaultThresholds = [50, 80, 100];

    /// <summary>Count the requests of this agent id (exact, case-sensitive), or <c>*</c> for every request.</summary>
    public string? Agent { get; set; }

    /// <summary>Count the requests of this model name as recorded (exact, case-sensitive: the stats' <c>by_model</c> key), or <c>*</c>.</summary>
    public string? Model { get; set; }

    /// <summary>Count the requests of this provider (compared in lowercase, as the stats' <c>by_provider</c> key), or <c>*</c>.</summary>
    public string? Provider { get; set; }

    /// <summary>The period of the limit: <c>Hour</c>, <c>Day</c> (default), <c>Week</c> (from Monday, ISO) or <c>Month</c>; UTC, calendar aligned.</summary>
    public BudgetWindow Window { get; set; } = BudgetWindow.Day;

    /// <summary>
    /// The limit in US dollars, more than 0, in whole microdollars (at most 6 decimal places: 0.000001 is one micro), at
    /// most 9223372036854.775807. Required.
    /// </summary>
    public decimal LimitUsd { get; set; }

    /// <summary>
    /// Percentages of the limit at which a <see cref="BudgetThresholdReached"/> is recorded, each 1..1000 (above 100
    /// announces an overrun), distinct, at most 32. Null (default) means 50, 80 and 100.
    /// </summary>
    public List<int>? Thresholds { get; set; }

    /// <summary>A copy, so a caller's tweaks never reach a shared instance.</summary>
    /// <returns>The copy.</returns>
    public BudgetOptions Clone()
    {
        var copy = (BudgetOptions)MemberwiseClone();
        copy.Thresholds = Thresholds is null ? null : [.. Thresholds];
        return copy;
    }
}

/// <summary>
/// The budgets, bound from <c>Analytics:Budgets</c>: every child section is a budget named by its key
/// (<c>Analytics:Budgets:team-alpha-daily:LimitUsd</c>), except <c>Webhook</c>, which is the URL threshold events are
/// posted to, so <c>Webhook</c> cannot be a budget name. Names are compared ignoring case, as configuration keys are.
/// With no budget nothing runs and nothing is paid for.
/// </summary>
public sealed class BudgetsOptions : Dictionary<string, BudgetOptions>
{
    /// <summary>The configuration key of <see cref="Webhook"/>, beside the budget names.</summary>
    public const string WebhookKey = "Webhook";

    /// <summary>Creates an empty set of budgets (names compared ignoring case).</summary>
    public BudgetsOptions() : base(StringComparer.OrdinalIgnoreCase)
    {
    }

    /// <summary>
    /// An absolute http or https URL that receives each threshold event as a JSON POST, retried on 408, 429 and 5xx
    /// with back-off (honouring <c>Retry-After</c>). Credentials in the URL (<c>https://user:secret@host/...</c>) are
    /// sent as HTTP basic authentication and, like its query, never logged. Default: none.
    /// </summary>
    public string? Webhook { get; set; }

    /// <summary>Events waiting between the pump and the evaluator; when full, events are not counted in budgets (counted as unevaluated).</summary>
    internal int QueueCapacity { get; set; } = 65_536;

    /// <summary>Threshold events waiting for the webhook; when full, later ones are not posted (counted, logged).</summary>
    internal int WebhookQueueCapacity { get; set; } = 1_000;

    /// <summary>First back-off of a webhook retry (exponential, with jitter).</summary>
    internal TimeSpan WebhookRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Cap of the computed back-off (a longer <c>Retry-After</c> is still honoured).</summary>
    internal TimeSpan WebhookMaxRetryDelay { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>One webhook attempt.</summary>
    internal TimeSpan WebhookTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long one threshold event is retried before it is given up on.</summary>
    internal TimeSpan WebhookRetryBudget { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long the shutdown waits for the webhook to post what is queued.</summary>
    internal TimeSpan WebhookFlushTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>True when at least one budget is configured.</summary>
    internal bool Enabled => Count > 0;

    /// <summary>Problems found while binding the section (a value of the wrong type, an unknown key), reported by validation.</summary>
    internal List<(string Key, string Message)> BindingProblems { get; } = [];

    /// <summary>A copy, so a caller's tweaks never reach a shared instance.</summary>
    /// <returns>The copy.</returns>
    public BudgetsOptions Clone()
    {
        var copy = new BudgetsOptions
        {
            Webhook = Webhook,
            QueueCapacity = QueueCapacity,
            WebhookQueueCapacity = WebhookQueueCapacity,
            WebhookRetryDelay = WebhookRetryDelay,
            WebhookMaxRetryDelay = WebhookMaxRetryDelay,
            WebhookTimeout = WebhookTimeout,
            WebhookRetryBudget = WebhookRetryBudget,
            WebhookFlushTimeout = WebhookFlushTimeout,
        };
        foreach (var (name, budget) in this) copy[name] = budget?.Clone()!;
        copy.BindingProblems.AddRange(BindingProblems);
        return copy;
    }

    /// <summary>The webhook URL, or null when none is set. Call only on valid options.</summary>
    internal Uri? WebhookUri => string.IsNullOrWhiteSpace(Webhook) ? null : new Uri(Webhook.Trim(), UriKind.Absolute);

    /// <summary>The budgets as definitions, in name order. Call only on valid options.</summary>
    internal IReadOnlyList<BudgetDefinition> Definitions()
    {
        var list = new List<BudgetDefinition>(Count);
        foreach (var (name, o) in this.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            var (scope, value) = o.Agent is not null ? (BudgetScope.Agent, o.Agent)
                : o.Model is not null ? (BudgetScope.Model, o.Model)
                : (BudgetScope.Provider, o.Provider == BudgetDefinition.Everything ? BudgetDefinition.Everything : ProviderInference.Canonical(o.Provider));
            var thresholds = (o.Thresholds ?? [.. BudgetOptions.DefaultThresholds]).Distinct().Order().ToArray();
            list.Add(new BudgetDefinition(name, scope, value, o.Window, Micros(o.LimitUsd), thresholds));
        }
        return list;
    }

    /// <summary>Checks the budgets; one message per problem, naming the key, the allowed values and the value found.</summary>
    /// <param name="options">The budgets.</param>
    /// <param name="errors">Where problems are collected (the <c>Analytics:Budgets</c> section).</param>
    internal static void Validate(BudgetsOptions options, OptionErrors errors)
    {
        foreach (var problem in options.BindingProblems) errors.Add(problem.Key, problem.Message);
        if (options.Webhook is not null) ValidateWebhook(options.Webhook, errors);
        foreach (var (name, budget) in options)
        {
            if (string.Equals(name, WebhookKey, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add(name, $"cannot be a budget name: {errors.Key(WebhookKey)} is the webhook URL. Rename the budget.");
                continue;
            }
            if (name.Trim().Length == 0 || name.Length > MaxNameLength)
            {
                errors.Add(name, string.Create(CultureInfo.InvariantCulture, $"is not a usable budget name: it must have 1 to {MaxNameLength} characters (got {name.Length})."));
                continue;
            }
            if (budget is null)
            {
                errors.Add(name, "must be a section with Agent, Model or Provider, Window, LimitUsd and optionally Thresholds.");
                continue;
            }
            ValidateBudget(budget, errors, name);
        }
    }

    /// <summary>The longest budget name and scope value, as for any name the recorder takes.</summary>
    internal const int MaxNameLength = 256;

    private static void ValidateBudget(BudgetOptions b, OptionErrors budgets, string name)
    {
        var errors = budgets.Section(name);
        var set = new List<string>(3);
        if (b.Agent is not null) set.Add(nameof(BudgetOptions.Agent));
        if (b.Model is not null) set.Add(nameof(BudgetOptions.Model));
        if (b.Provider is not null) set.Add(nameof(BudgetOptions.Provider));
        if (set.Count != 1)
        {
            budgets.Add(name, set.Count == 0
                ? "must set exactly one of Agent, Model or Provider (* for every request) (got none)."
                : $"must set exactly one of Agent, Model or Provider (got {string.Join(" and ", set)}).");
        }
        foreach (var (field, value) in new[] { (nameof(BudgetOptions.Agent), b.Agent), (nameof(BudgetOptions.Model), b.Model), (nameof(BudgetOptions.Provider), b.Provider) })
        {
            if (value is null) continue;
            if (value.Trim().Length == 0) errors.Add(field, "must be an id or * (got an empty string).");
            else if (value.Length > MaxNameLength)
                errors.Add(field, string.Create(CultureInfo.InvariantCulture, $"must have at most {MaxNameLength} characters (got {value.Length})."));
        }
        errors.Defined(nameof(BudgetOptions.Window), b.Window);
        if (b.LimitUsd <= 0 || b.LimitUsd > MaxLimitUsd)
        {
            errors.Add(nameof(BudgetOptions.LimitUsd), string.Create(CultureInfo.InvariantCulture,
                $"must be more than 0 and at most {MaxLimitUsd} (USD) (got {b.LimitUsd})."));
        }
        else if (decimal.Truncate(b.LimitUsd * 1_000_000m) != b.LimitUsd * 1_000_000m)
        {
            errors.Add(nameof(BudgetOptions.LimitUsd), string.Create(CultureInfo.InvariantCulture,
                $"must be a whole number of microdollars, at most 6 decimal places (got {b.LimitUsd}): money is counted in integer micros."));
        }
        if (b.Thresholds is { } thresholds)
        {
            if (thresholds.Count is 0 or > MaxThresholds)
                errors.Add(nameof(BudgetOptions.Thresholds), string.Create(CultureInfo.InvariantCulture, $"must list 1 to {MaxThresholds} percentages (got {thresholds.Count})."));
            for (var i = 0; i < thresholds.Count; i++)
            {
                errors.Range(string.Create(CultureInfo.InvariantCulture, $"{nameof(BudgetOptions.Thresholds)}:{i}"), thresholds[i], 1, MaxThresholdPercent);
                if (thresholds.IndexOf(thresholds[i]) < i)
                    errors.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(BudgetOptions.Thresholds)}:{i}"),
                        string.Create(CultureInfo.InvariantCulture, $"repeats the threshold {thresholds[i]} (each percentage once)."));
            }
        }
    }

    private static void ValidateWebhook(string webhook, OptionErrors errors)
    {
        if (!Uri.TryCreate(webhook.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.Fragment.Length > 0)
        {
            errors.Add(WebhookKey, $"must be unset or an absolute http or https URL without fragment, such as https://alerts.example.com/budgets " +
                                   $"(got '{SyncOptions.Redact(webhook)}').");
        }
    }

    /// <summary>The largest limit: <c>long.MaxValue</c> microdollars.</summary>
    internal const decimal MaxLimitUsd = 9_223_372_036_854.775807m;

    /// <summary>The largest threshold, in percent.</summary>
    internal const int MaxThresholdPercent = 1_000;

    /// <summary>The most thresholds of one budget (they are kept as bits of a mask).</summary>
    internal const int MaxThresholds = 32;

    /// <summary>A validated limit in microdollars, exactly.</summary>
    internal static long Micros(decimal usd) => (long)(usd * 1_000_000m);
}
