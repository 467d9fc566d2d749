import javax.xml.parsers.*;
import org.w3c.dom.Document;

public class XmlReader {
    public Document read(java.io.InputStream in) throws Exception {
        DocumentBuilderFactory dbf = DocumentBuilderFactory.newInstance();
        return dbf.newDocumentBuilder().parse(in);
    }
}
