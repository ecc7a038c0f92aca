using System.Globalization;
using System.Text;

namespace Sam3Serve.FaultSuite.Hostile;

/// <summary>
/// Generates malformed and hostile requests against /v1 and /v2 (seeded, so a run can be repeated):
/// truncated and syntactically broken JSON, wrong types, huge arrays, deep nesting, invalid UTF-8, bad
/// base64 and data URIs, decompression-bomb images, oversized and too many headers, lying Content-Length,
/// broken chunked encoding and multipart, bodies that stop or stall mid-stream, slow senders, bad keys.
/// None is a valid request: each must get a 4xx (or, for the cut-off ones, no answer), never a 5xx.
/// </summary>
public sealed class HostileRequests(string apiKey, int seed = 11)
{
    private readonly Random _random = new(seed);

    /// <summary>The families, each a function of the case number within its family.</summary>
    private IReadOnlyList<(string Kind, Func<int, HostileCase> Make)> Families =>
    [
        ("truncated-json", TruncatedJson),
        ("wrong-types", WrongTypes),
        ("huge-arrays", HugeArrays),
        ("deep-nesting", DeepNesting),
        ("invalid-utf8", InvalidUtf8),
        ("bad-image", BadImage),
        ("non-object-body", NonObjectBody),
        ("oversized-headers", OversizedHeaders),
        ("lying-length", LyingLength),
        ("broken-chunked", BrokenChunked),
        ("broken-multipart", BrokenMultipart),
        ("bad-auth", BadAuth),
        ("stop-mid-stream", StopMidStream),
        ("stall-mid-stream", StallMidStream),
        ("slow-sender", SlowSender),
    ];

    /// <summary>The family names, in generation order.</summary>
    public IReadOnlyList<string> Kinds => [.. Families.Select(f => f.Kind)];

    /// <summary><paramref name="count"/> cases, the families taking turns.</summary>
    public IEnumerable<HostileCase> Generate(int count)
    {
        var families = Families;
        for (var i = 0; i < count; i++)
        {
            var (_, make) = families[i % families.Count];
            yield return make(i / families.Count);
        }
    }

    private string Endpoint() => _random.Next(2) == 0 ? "/v1/sam3-image" : "/v2/sam3-image";

    private static readonly string SmallImage = Convert.ToBase64String(MakeSmallPng());

    private HostileCase TruncatedJson(int n)
    {
        var full = Encoding.UTF8.GetBytes($"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"points_input\":\"[[1,2]]\",\"return_masks\":true}}");
        var cut = 1 + _random.Next(full.Length - 1);
        return Post("truncated-json", Endpoint(), full[..cut]);
    }

    private HostileCase WrongTypes(int n)
    {
        string[] bodies =
        [
            "{\"image\":123,\"text_prompt\":\"red\"}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":[\"red\"]}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"threshold\":\"high\"}}",
            $"{{\"image\":\"{SmallImage}\",\"points_input\":{{\"x\":1}}}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"return_masks\":\"yes\"}}",
            $"{{\"image\":\"{SmallImage}\",\"points_input\":\"[[1e400, 2]]\"}}",
            $"{{\"image\":\"{SmallImage}\",\"points_input\":\"[[NaN, 2]]\"}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"max_masks\":1.5}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"mask_format\":7}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompts\":[1,2,3]}}",
            $"{{\"image\":\"{SmallImage}\",\"boxes_input\":\"[[5,5,1,1]]\"}}",
            $"{{\"image\":\"{SmallImage}\",\"points_input\":\"[[1,2]]\",\"point_labels_input\":\"[[7]]\"}}",
            $"{{\"image\":\"{SmallImage}\",\"boxes_input\":\"[[1,1,5,5]]\",\"box_labels_input\":\"[[7]]\"}}",
            $"{{\"image\":\"{SmallImage}\",\"boxes_input\":\"[[1,1,5,5]]\",\"box_labels_input\":{{\"0\":1}}}}",
            $"{{\"image\":\"{SmallImage}\",\"boxes_input\":\"[[1,1,5,5]]\",\"box_labels_input\":\"[0,0,0]\"}}",
            $"{{\"image\":\"{SmallImage}\",\"boxes_input\":\"[[1,1,5,5]]\",\"box_labels_input\":\"[0]\",\"box_mode\":\"object\"}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"box_labels_input\":\"[1]\"}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"\\u0000\"}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"{new string('x', 600)}\"}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"webhook\":42}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"webhook\":\"file:///etc/passwd\"}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"image_id\":\"{new string('i', 300)}\"}}",
            $"{{\"image\":\"{SmallImage}\",\"points_per_side\":-1}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"threshold\":1e308}}",
            $"{{\"image\":null,\"text_prompt\":\"red\"}}",
            $"{{\"image\":\"{SmallImage}\",\"image\":\"x\",\"text_prompt\":\"red\"}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"\\udc00red\"}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompts\":\"[\\\"\\\\ud800\\\"]\"}}",
            $"{{\"image\":\"{SmallImage}\",\"points_input\":\"{{\\\"a\\\":1,\\\"a\\\":2}}\"}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"tiles\":{{\"rows\":9,\"cols\":9}}}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"tiles\":{{\"rows\":{{\"a\":1}},\"cols\":1}}}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"tiles\":\"{{\\\"rows\\\":2,\\\"rows\\\":2}}\"}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"tiles\":[[1,2]]}}",
            $"{{\"image\":\"{SmallImage}\",\"points_input\":\"[[1,2]]\",\"tiles\":\"auto\"}}",
            $"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\",\"tiles\":\"auto\",\"tile_overlap\":1e308}}",
        ];
        return Post("wrong-types", Endpoint(), Encoding.UTF8.GetBytes(bodies[n % bodies.Length]));
    }

    private HostileCase HugeArrays(int n)
    {
        var count = 20_000 + _random.Next(200_000);
        var body = new StringBuilder($"{{\"image\":\"{SmallImage}\",");
        switch (n % 5)
        {
            case 0:
                body.Append("\"points_input\":\"[");
                AppendRepeated(body, "[1,2]", count);
                body.Append("]\"}");
                break;
            case 1:
                body.Append("\"points_input\":[");
                AppendRepeated(body, "[1,2]", count);
                body.Append("]}");
                break;
            case 2:
                body.Append("\"text_prompts\":[");
                AppendRepeated(body, "\"red\"", count);
                body.Append("]}");
                break;
            case 3:
                body.Append("\"boxes_input\":\"[");
                AppendRepeated(body, "[1,2,3,4]", count);
                body.Append("]\"}");
                break;
            default:
                // An ignored unknown field of a huge array still has to be parsed (and bounded).
                body.Append("\"extra\":[");
                AppendRepeated(body, "0", count * 5);
                body.Append("],\"text_prompt\":\"red\"}");
                break;
        }
        return Post("huge-arrays", Endpoint(), Encoding.UTF8.GetBytes(body.ToString()));
    }

    private HostileCase DeepNesting(int n)
    {
        var depth = n % 2 == 0 ? 100_000 : 20 + _random.Next(2000);
        var body = new StringBuilder(depth * 2 + 64);
        if (n % 3 == 0)
        {
            body.Append('[', depth).Append(']', depth);
        }
        else
        {
            body.Append("{\"image\":\"x\",\"points_input\":");
            body.Append('[', depth).Append('1').Append(']', depth).Append('}');
        }
        return Post("deep-nesting", Endpoint(), Encoding.UTF8.GetBytes(body.ToString()));
    }

    private HostileCase InvalidUtf8(int n)
    {
        byte[][] bad = [[0xFF, 0xFE], [0xC3, 0x28], [0xE2, 0x82], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0xC0, 0xAF]];
        var junk = bad[n % bad.Length];
        var body = new List<byte>();
        body.AddRange("{\"image\":\""u8.ToArray());
        if (n % 2 == 0)
        {
            body.AddRange(junk);
        }
        else
        {
            body.AddRange(Encoding.ASCII.GetBytes(SmallImage));
        }
        body.AddRange("\",\"text_prompt\":\"re"u8.ToArray());
        body.AddRange(junk);
        body.AddRange("d\"}"u8.ToArray());
        return Post("invalid-utf8", Endpoint(), [.. body]);
    }

    private HostileCase BadImage(int n)
    {
        string[] images =
        [
            "not base64 at all!!",
            "data:image/png;base64,",
            "data:text/html;base64,PGgxPmhpPC9oMT4=",
            "data:image/png,rawbytes",
            "data:image/png;base64,iVBORw0KGgo=",
            Convert.ToBase64String(Encoding.ASCII.GetBytes("GIF89a but not really")),
            Convert.ToBase64String(MakeSmallPng()[..30]),
            Convert.ToBase64String(PngDeclaring(200_000, 200_000)),
            Convert.ToBase64String(PngDeclaring(1, 1_000_000_000)),
            "ftp://127.0.0.1/x.png",
            "http://169.254.169.254/latest/meta-data/",
            "http://[::1]/x.png",
            "http://2130706433/x.png",
            "http://localhost/x.png",
            "javascript:alert(1)",
            "AAAA",
            "====",
            new string('A', 5) + "=",
        ];
        var image = images[n % images.Length];
        var body = $"{{\"image\":{JsonString(image)},\"text_prompt\":\"red\"}}";
        return Post("bad-image", Endpoint(), Encoding.UTF8.GetBytes(body));
    }

    private HostileCase NonObjectBody(int n)
    {
        string[] bodies = ["", "null", "[]", "\"text\"", "42", "true", "{", "}", "{\"image\"}", "{\"image\":}", "{,}", "{\"a\":1,}", "\uFEFF{\"image\":\"x\"}", "{'image':'x'}", "{\"image\":\"x\"} trailing"];
        var body = bodies[n % bodies.Length];
        var contentType = ((n / bodies.Length) % 3) switch
        {
            0 => "application/json",
            1 => "text/plain",
            _ => "application/x-www-form-urlencoded",
        };
        return Post("non-object-body", Endpoint(), Encoding.UTF8.GetBytes(body), contentType);
    }

    private HostileCase OversizedHeaders(int n)
    {
        var head = new StringBuilder($"POST {Endpoint()} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {apiKey}\r\nContent-Type: application/json\r\n");
        switch (n % 4)
        {
            case 0:
                head.Append("X-Big: ").Append('a', 40_000 + _random.Next(60_000)).Append("\r\n");
                break;
            case 1:
                for (var i = 0; i < 500; i++)
                {
                    head.Append(CultureInfo.InvariantCulture, $"X-H{i}: v\r\n");
                }
                break;
            case 2:
                head.Append("Cookie: ").Append('c', 70_000).Append("\r\n");
                break;
            default:
                // A request line far over any limit.
                head.Clear().Append("POST /v1/sam3-image?q=").Append('q', 100_000).Append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
                break;
        }
        var body = "{}"u8.ToArray();
        head.Append(CultureInfo.InvariantCulture, $"Content-Length: {body.Length}\r\n\r\n");
        return new HostileCase("oversized-headers", [.. Encoding.ASCII.GetBytes(head.ToString()), .. body], Delivery.Whole);
    }

    private HostileCase LyingLength(int n)
    {
        var body = Encoding.UTF8.GetBytes($"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\"}}");
        string length = (n % 4) switch
        {
            0 => "10000000000",          // far over --max-body-bytes
            1 => "-5",
            2 => "12abc",
            _ => "99999999999999999999999",
        };
        var head = $"POST {Endpoint()} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {apiKey}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n";
        // The body is shorter than declared: the server must refuse on the header, not wait for the rest.
        return new HostileCase("lying-length", [.. Encoding.ASCII.GetBytes(head), .. body], Delivery.Whole);
    }

    private HostileCase BrokenChunked(int n)
    {
        string[] chunks =
        [
            "zz\r\n{}\r\n0\r\n\r\n",
            "5\r\n{\"ima\r\n",                      // the body ends before the terminating chunk
            "ffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
            "2\r\n{}\r\n0\r\nX-Trailer: " + new string('t', 40_000) + "\r\n\r\n",
            "3\r\n{}\r\n0\r\n\r\n",                  // chunk shorter than declared
        ];
        var head = $"POST {Endpoint()} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {apiKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
        var chunk = chunks[n % chunks.Length];
        // An incomplete chunked body cannot be refused until the client gives up: close it after sending.
        var delivery = n % chunks.Length is 1 or 4 ? Delivery.StopMidStream : Delivery.Whole;
        var bytes = Encoding.ASCII.GetBytes(head + chunk);
        return new HostileCase("broken-chunked", bytes, delivery, bytes.Length);
    }

    private HostileCase BrokenMultipart(int n)
    {
        const string boundary = "XyZ";
        string[] bodies =
        [
            "--XyZ\r\nContent-Disposition: form-data; name=\"text_prompt\"\r\n\r\nred\r\n",                      // no closing boundary
            "--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a.png\"\r\n\r\n\r\n--XyZ--\r\n", // empty file
            "--WRONG\r\nContent-Disposition: form-data; name=\"image\"\r\n\r\nx\r\n--WRONG--\r\n",
            "--XyZ\r\nContent-Disposition: form-data; name=\"threshold\"\r\n\r\nNaN\r\n--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"a\"\r\n\r\nnotanimage\r\n--XyZ--\r\n",
            "--XyZ\r\n" + new string('H', 20_000) + "\r\n\r\nx\r\n--XyZ--\r\n",
            "--XyZ\r\nContent-Disposition: form-data; name=\"text_prompts\"\r\n\r\n[[[[1]]]]\r\n--XyZ--\r\n",
        ];
        var contentType = n % 7 == 6 ? "multipart/form-data" : $"multipart/form-data; boundary={boundary}";
        return Post("broken-multipart", Endpoint(), Encoding.UTF8.GetBytes(bodies[n % bodies.Length]), contentType);
    }

    private HostileCase BadAuth(int n)
    {
        var body = Encoding.UTF8.GetBytes($"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\"}}");
        string[] auth =
        [
            "",
            "x-api-key: \r\n",
            "x-api-key: wrong-key\r\n",
            "Authorization: Bearer \r\n",
            "Authorization: Basic Zm9vOmJhcg==\r\n",
            "x-api-key: " + new string('k', 8000) + "\r\n",
            "x-api-key: \u00e9\u00e9\r\n",
        ];
        var path = (n % 9) switch
        {
            7 => "/v2/requests/../../etc/passwd",
            8 => "/v2/requests/%00/status",
            _ => Endpoint(),
        };
        var head = $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth[n % auth.Length]}Content-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        return new HostileCase("bad-auth", [.. Encoding.Latin1.GetBytes(head), .. body], Delivery.Whole);
    }

    private HostileCase StopMidStream(int n)
    {
        var valid = Post("stop-mid-stream", Endpoint(), Encoding.UTF8.GetBytes($"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\"}}"));
        return valid with { Delivery = Delivery.StopMidStream, CutAt = 20 + _random.Next(valid.Bytes.Length - 21) };
    }

    private HostileCase StallMidStream(int n)
    {
        var valid = Post("stall-mid-stream", Endpoint(), Encoding.UTF8.GetBytes($"{{\"image\":\"{SmallImage}\",\"text_prompt\":\"red\"}}"));
        return valid with { Delivery = Delivery.StallMidStream, CutAt = 20 + _random.Next(valid.Bytes.Length - 21) };
    }

    private HostileCase SlowSender(int n)
    {
        // A broken body, sent a few bytes at a time: the server must wait it out (or cut the client off) and answer 4xx.
        var body = Encoding.UTF8.GetBytes("{\"image\":\"abc\",\"text_prompt\":[1,2,");
        return Post("slow-sender", Endpoint(), body) with { Delivery = Delivery.Slow };
    }

    private HostileCase Post(string kind, string path, byte[] body, string contentType = "application/json")
    {
        var head = $"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nx-api-key: {apiKey}\r\nContent-Type: {contentType}\r\nContent-Length: {body.Length}\r\n\r\n";
        return new HostileCase(kind, [.. Encoding.ASCII.GetBytes(head), .. body], Delivery.Whole);
    }

    private static void AppendRepeated(StringBuilder builder, string item, int count)
    {
        for (var i = 0; i < count; i++)
        {
            if (i > 0)
            {
                builder.Append(',');
            }
            builder.Append(item);
        }
    }

    private static string JsonString(string value) => System.Text.Json.JsonSerializer.Serialize(value);

    /// <summary>A valid 8×8 red PNG (so that only the hostile part of a case is wrong).</summary>
    private static byte[] MakeSmallPng()
    {
        using var bitmap = new SkiaSharp.SKBitmap(8, 8);
        bitmap.Erase(SkiaSharp.SKColors.Red);
        using var data = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }

    /// <summary>A PNG signature and IHDR declaring width × height, then nothing: a decompression bomb's header.</summary>
    private static byte[] PngDeclaring(int width, int height)
    {
        var png = new List<byte> { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13 };
        var chunk = new List<byte>("IHDR"u8.ToArray());
        chunk.AddRange(BigEndian(width));
        chunk.AddRange(BigEndian(height));
        chunk.AddRange(new byte[] { 8, 2, 0, 0, 0 });
        png.AddRange(chunk);
        png.AddRange(BigEndian((int)System.IO.Hashing.Crc32.HashToUInt32([.. chunk])));
        return [.. png];
    }

    private static byte[] BigEndian(int value) => [(byte)(value >> 24), (byte)(value >> 16), (byte)(value >> 8), (byte)value];
}
