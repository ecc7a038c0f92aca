namespace Sam3Serve.Client.Tests;

/// <summary>Client-side checks of a request: obvious mistakes throw at once, naming the wire field; ranges are the server's.</summary>
public sealed class RequestValidationTests
{
    private static Sam3Request Request() => Sam3Request.FromUrl("https://example.com/a.jpg");

    [Fact]
    public void WithTextPrompt_Blank_ThrowsNamingTextPrompt() =>
        Assert.Throws<ArgumentException>("text_prompt", () => Request().WithTextPrompt("   "));

    [Fact]
    public void WithTextPrompts_EmptyListOrBlankEntry_ThrowsNamingTextPrompts()
    {
        Assert.Throws<ArgumentException>("text_prompts", () => Request().WithTextPrompts());
        Assert.Throws<ArgumentException>("text_prompts", () => Request().WithTextPrompts("dog", ""));
    }

    [Fact]
    public void WithPoints_EmptyOrNotFinite_ThrowsNamingPointsInput()
    {
        Assert.Throws<ArgumentException>("points_input", () => Request().WithPoints());
        Assert.Throws<ArgumentException>("points_input", () => Request().WithPoint(double.NaN, 3));
    }

    [Fact]
    public void WithPoints_UndefinedLabel_ThrowsNamingPointLabels() =>
        Assert.Throws<ArgumentException>("point_labels_input", () => Request().WithPoints(new Sam3Point(1, 2, (Sam3PointLabel)7)));

    [Fact]
    public void WithBoxes_EmptyOrInfinite_ThrowsNamingBoxesInput()
    {
        Assert.Throws<ArgumentException>("boxes_input", () => Request().WithBoxes());
        Assert.Throws<ArgumentException>("boxes_input", () => Request().WithBox(0, 0, double.PositiveInfinity, 4));
    }

    [Fact]
    public void WithBoxes_UndefinedLabel_ThrowsNamingBoxLabels()
    {
        Assert.Throws<ArgumentException>("box_labels_input", () => Request().WithBox(0, 0, 4, 4, (Sam3BoxLabel)2));
        Assert.Throws<ArgumentException>("box_labels_input", () => Request().WithBoxes(new Sam3Box(0, 0, 4, 4) { Label = (Sam3BoxLabel)(-1) }));
    }

    [Fact]
    public void Sam3Box_WithoutALabel_IsPositiveAndEqualToAnExplicitPositive()
    {
        Assert.Equal(Sam3BoxLabel.Positive, default(Sam3Box).Label);
        Assert.Equal(Sam3BoxLabel.Positive, new Sam3Box { X1 = 1, Y1 = 2, X2 = 3, Y2 = 4 }.Label);
        Assert.Equal(new Sam3Box(1, 2, 3, 4), new Sam3Box(1, 2, 3, 4, Sam3BoxLabel.Positive));
        Assert.NotEqual(new Sam3Box(1, 2, 3, 4), new Sam3Box(1, 2, 3, 4, Sam3BoxLabel.Negative));
        Assert.Equal(Sam3BoxLabel.Negative, (new Sam3Box(1, 2, 3, 4) with { Label = Sam3BoxLabel.Negative }).Label);
        Assert.DoesNotContain("Label", new Sam3Box(1, 2, 3, 4).ToString(), StringComparison.Ordinal);
        Assert.Contains("Label = Negative", new Sam3Box(1, 2, 3, 4, Sam3BoxLabel.Negative).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void WithBox_Label_IsKeptPerBox()
    {
        var request = Request().WithBox(0, 0, 4, 4).WithBox(1, 1, 5, 5, Sam3BoxLabel.Negative);
        Assert.Equal([Sam3BoxLabel.Positive, Sam3BoxLabel.Negative], request.Boxes!.Select(b => b.Label));
    }

    [Fact]
    public void Numbers_NotFinite_ThrowNamingTheField()
    {
        Assert.Throws<ArgumentException>("threshold", () => Request().WithThreshold(double.NaN));
        Assert.Throws<ArgumentException>("pred_iou_thresh", () => Request().WithPredIouThresh(double.NegativeInfinity));
    }

    [Fact]
    public void Enums_Undefined_ThrowNamingTheField()
    {
        Assert.Throws<ArgumentOutOfRangeException>("mask_format", () => Request().WithMasks((Sam3MaskFormat)42));
        Assert.Throws<ArgumentOutOfRangeException>("box_mode", () => Request().WithBoxMode((Sam3BoxMode)42));
    }

    [Fact]
    public void Image_BadSources_ThrowNamingImage()
    {
        Assert.Throws<ArgumentException>("image", () => Sam3Request.FromUrl("ftp://example.com/a.jpg"));
        Assert.Throws<ArgumentException>("image", () => Sam3Request.FromUrl("not a url"));
        Assert.Throws<ArgumentException>("image", () => Sam3Request.FromBytes([]));
        Assert.Throws<FileNotFoundException>(() => Sam3Request.FromFile(Path.Combine(Path.GetTempPath(), $"missing-{Guid.NewGuid():n}.jpg")));
    }

    [Fact]
    public void OutOfRangeValues_AreLeftToTheServer()
    {
        var request = Request().WithThreshold(5).WithMaxMasks(-3).WithPointsPerSide(1000).WithBox(10, 10, 5, 5);

        Assert.Equal(5, request.Threshold);
        Assert.Equal(-3, request.MaxMasks);
        Assert.Equal(1000, request.PointsPerSide);
        Assert.Equal(new Sam3Box(10, 10, 5, 5), Assert.Single(request.Boxes!));
    }

    [Fact]
    public void WithPoint_Repeated_AppendsInOrder()
    {
        var request = Request().WithPoint(1, 2).WithPoint(3, 4, Sam3PointLabel.Background);

        Assert.Equal([new Sam3Point(1, 2), new Sam3Point(3, 4, Sam3PointLabel.Background)], request.Points);
    }
}
