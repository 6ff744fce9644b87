const puppeteer = require("puppeteer-core"); const path=require("path");
(async()=>{const b=await puppeteer.launch({executablePath:"/usr/bin/chromium",args:["--no-sandbox"]});
const p=await b.newPage(); await p.setViewport({width:720,height:360,deviceScaleFactor:1.5});
await p.emulateMediaFeatures([{name:"prefers-color-scheme",value:process.argv[4]||"light"}]);
await p.goto("file://"+path.resolve(process.argv[2])); await p.screenshot({path:process.argv[3]}); await b.close();})();
