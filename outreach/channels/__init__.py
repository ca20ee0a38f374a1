"""How steps reach a lead besides the sending of email: manual tasks and LinkedIn."""
