using System.Xml;

public class Importer {
    public XmlReader Open(string xml) {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        return XmlReader.Create(new System.IO.StringReader(xml), settings);
    }
}
