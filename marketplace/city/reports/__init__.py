"""Reports for the MoU meetings: the dashboard's figures for a period, printable and as an XLSX workbook."""
