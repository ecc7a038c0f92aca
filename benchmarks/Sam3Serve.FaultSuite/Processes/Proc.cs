using System.Globalization;

namespace Sam3Serve.FaultSuite.Processes;

/// <summary>Readings from /proc (Linux).</summary>
public static class Proc
{
    /// <summary>VmRSS of <paramref name="pid"/> in bytes, 0 when it cannot be read.</summary>
    public static long ResidentBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    var kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
        }
        return 0;
    }
}
