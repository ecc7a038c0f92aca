using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Prometheus;
using Sam3Serve.Server.Apis;
using Sam3Serve.Server.Errors;
using Sam3Serve.Server.Observability;
using Sam3Serve.Server.Playground;

namespace Sam3Serve.Server;

/// <summary>
/// Builds the HTTP service from <see cref="ServerOptions"/>. The caller registers the
/// <see cref="Contracts.Inference.ISegmentationEngine"/> (the CLI registers the ONNX engine, tests a fake),
/// which keeps this project free of ONNX.
/// </summary>
public static class Sam3ServerHost
{
    /// <summary>Creates the application; run it with <c>RunAsync</c> or <c>StartAsync</c>.</summary>
    public static WebApplication Build(ServerOptions options, Action<IServiceCollection> configureServices, string logFormat = "simple")
    {
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            throw new ArgumentException("invalid server options: " + string.Join("; ", problems));
        }
        var runsModel = options.RunsModel;
        var servesApi = options.ServesApi;

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseUrls(options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = options.MaxBodyBytes);
        builder.Services.Configure<FormOptions>(f =>
        {
            f.MultipartBodyLengthLimit = options.MaxBodyBytes;
            f.ValueLengthLimit = (int)Math.Min(int.MaxValue, options.MaxBodyBytes);
        });
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = options.ShutdownTimeout);
        ConfigureLogging(builder.Logging, logFormat);

        var services = builder.Services;
        services.AddSingleton(options);
        // Whatever else binds ServerOptions (the CLI binds it from its settings) is validated before the host starts.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Options.IValidateOptions<ServerOptions>, ServerOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        var stores = services.AddSam3Stores();
        _ = options.Store == StoreKind.Redis ? stores.UseRedis(options.Redis!) : stores.UseSqlite(options.DataDir);
        services.AddSam3ImageInput(options);
        services.AddSam3Accounts();
        services.AddSam3RequestLifecycle(options, runsModel);
        services.AddSam3Webhooks();
        if (runsModel)
        {
            services.AddSam3Workers();
        }
        services.AddOpenApi();
        configureServices(services);

        var app = builder.Build();
        // Created now, so the container owns it and releases it when the host is disposed.
        app.Services.GetService<DataDirLock>();
        app.UseMiddleware<ErrorHandlingMiddleware>();
        app.Use(CountRequests);
        if (servesApi)
        {
            app.MapSegmentationApi();
            app.MapRequestsApi();
            app.MapAccountApi();
            app.MapOpenApi("/openapi/{documentName}.json");
            app.MapPlaygroundApi();
        }
        // A worker serves only health and metrics.
        app.MapHealthApi();
        app.MapMetrics("/metrics", app.Services.GetRequiredService<ServerMetrics>().Registry);
        // Unmatched routes and methods still answer with the contract's JSON error shape.
        app.MapFallback((HttpContext c) => ErrorResponses.Result(404, $"no endpoint at {c.Request.Method} {c.Request.Path}"));
        return app;
    }

    private static void ConfigureLogging(ILoggingBuilder logging, string format)
    {
        logging.ClearProviders();
        if (format == "json")
        {
            logging.AddJsonConsole(o => o.IncludeScopes = true);
        }
        else
        {
            logging.AddSimpleConsole(o =>
            {
                o.IncludeScopes = true;
                o.SingleLine = true;
                o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
                o.UseUtcTimestamp = true;
            });
        }
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
    }

    private static async Task CountRequests(HttpContext context, RequestDelegate next)
    {
        var metrics = context.RequestServices.GetRequiredService<ServerMetrics>();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            metrics.Requests.WithLabels(endpoint, context.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            metrics.RequestSeconds.WithLabels(endpoint).Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }
}
