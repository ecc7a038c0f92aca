using System.CommandLine;
using System.Globalization;
using Sam3Serve.Jobs.Accounts;
using Sam3Serve.Jobs.Redis;
using Sam3Serve.Jobs.Sqlite;
using Sam3Serve.Cli.Settings;
using Sam3Serve.Server;
using Sam3Serve.Server.Auth;

namespace Sam3Serve.Cli.Commands;

/// <summary>
/// <c>sam3serve keys create|list|revoke|add-credits</c>: administration of the embedded store, with or
/// without a running server (both use the same SQLite file; the server reads keys on every request).
/// </summary>
public static class KeysCommand
{
    /// <summary>Builds the command tree.</summary>
    public static Command Create()
    {
        // The store is found exactly as serve finds it: flags, SAM3SERVE_* variables, then the --config file.
        var config = SettingsLoader.ConfigOption();
        var settings = SettingsLoader.CreateOptions(SettingCatalog.Store);
        Option[] storeOptions = [config, .. settings.Values];
        var keys = new Command("keys", "Manage API keys, credits and limits");

        var name = new Option<string>("--name") { Description = "A unique name for the key", Required = true };
        var credits = new Option<decimal?>("--credits") { Description = "Credit balance (default: unlimited)" };
        var rpm = new Option<int?>("--rpm") { Description = "Requests per minute (default: no limit)" };
        var create = new Command("create", "Create a key; prints it once, on the last line") { name, credits, rpm };
        create.SetAction(Guarded(async (parse, ct) =>
        {
            if (parse.GetValue(credits) is < 0) return Fail("--credits must not be negative");
            if (parse.GetValue(rpm) is < 1) return Fail("--rpm must be at least 1");
            var accounts = Open(parse, config, settings);
            try
            {
                var (record, key) = await accounts.CreateKeyAsync(parse.GetValue(name)!, parse.GetValue(credits), parse.GetValue(rpm), ct);
                Console.WriteLine($"created key '{record.Name}' (credits: {CallerAuthenticator.FormatCredits(record.Credits)}, rpm: {record.RequestsPerMinute?.ToString(CultureInfo.InvariantCulture) ?? "no limit"}); it is shown only now:");
                Console.WriteLine(key);
                return 0;
            }
            catch (InvalidOperationException e)
            {
                return Fail(e.Message);
            }
        }));

        var list = new Command("list", "List keys (never the keys themselves)");
        list.SetAction(Guarded(async (parse, ct) =>
        {
            var all = await Open(parse, config, settings).ListAsync(ct);
            Console.WriteLine($"{"NAME",-20} {"PREFIX",-12} {"CREDITS",-12} {"RESERVED",-9} {"RPM",-9} {"STATE",-8} CREATED");
            foreach (var k in all)
            {
                Console.WriteLine($"{k.Name,-20} {k.Prefix,-12} {CallerAuthenticator.FormatCredits(k.Credits),-12} {k.Reserved.ToString(CultureInfo.InvariantCulture),-9} {k.RequestsPerMinute?.ToString(CultureInfo.InvariantCulture) ?? "-",-9} {(k.Disabled ? "revoked" : "active"),-8} {k.CreatedAt:u}");
            }
            return 0;
        }));

        var revokeName = new Argument<string>("name") { Description = "The key's name" };
        var revoke = new Command("revoke", "Disable a key (its calls get 403)") { revokeName };
        revoke.SetAction(Guarded(async (parse, ct) =>
        {
            var keyName = parse.GetValue(revokeName)!;
            return await Open(parse, config, settings).RevokeAsync(keyName, ct)
                ? Ok($"revoked key '{keyName}'")
                : Fail($"no key named '{keyName}'");
        }));

        var addName = new Argument<string>("name") { Description = "The key's name" };
        var amount = new Argument<decimal>("amount") { Description = "Credits to add (negative to take away)" };
        var addCredits = new Command("add-credits", "Add credits to a key") { addName, amount };
        addCredits.SetAction(Guarded(async (parse, ct) =>
        {
            var keyName = parse.GetValue(addName)!;
            var record = await Open(parse, config, settings).AddCreditsAsync(keyName, parse.GetValue(amount), ct);
            return record is null
                ? Fail($"no key named '{keyName}'")
                : Ok($"key '{keyName}' now has {CallerAuthenticator.FormatCredits(record.Credits)} credits");
        }));

        foreach (var command in new[] { create, list, revoke, addCredits })
        {
            foreach (var option in storeOptions)
            {
                command.Options.Add(option);
            }
        }
        keys.Subcommands.Add(create);
        keys.Subcommands.Add(list);
        keys.Subcommands.Add(revoke);
        keys.Subcommands.Add(addCredits);
        return keys;
    }

    private static IAccountStore Open(ParseResult parse, Option<string> config, IReadOnlyDictionary<Setting, Option> settings)
    {
        var options = SettingsLoader.Bind(SettingsLoader.Load(parse, config, settings)).Server;
        if (options.Store == StoreKind.Redis)
        {
            if (string.IsNullOrWhiteSpace(options.Redis))
            {
                throw new ArgumentException("--store redis needs --redis <connection string>");
            }
            return new RedisAccountStore(new RedisOptions { ConnectionString = options.Redis });
        }
        return new SqliteAccountStore(SqliteDatabase.Open(options.DataDir));
    }

    /// <summary>Settings that cannot be read end the command with their message and exit code 2, as serve does.</summary>
    private static Func<ParseResult, CancellationToken, Task<int>> Guarded(Func<ParseResult, CancellationToken, Task<int>> action) =>
        async (parse, ct) =>
        {
            try
            {
                return await action(parse, ct);
            }
            catch (Exception e) when (e is FormatException or InvalidDataException or FileNotFoundException or ArgumentException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return 2;
            }
        };

    private static int Ok(string message)
    {
        Console.WriteLine(message);
        return 0;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"error: {message}");
        return 1;
    }
}
